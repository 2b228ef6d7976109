/**
 * The transaction functions' side of webhooks, kept light for their cold start: the delivery
 * queue (SQS in AWS, timers locally) and `publishTransactionEvent`, which the transaction service
 * calls on each stored state change. The consumer side (store, URL policy, delivery) is
 * webhooks-runtime.ts; locally it attaches itself to `localWebhookQueue`.
 */
import { summariseError } from '#runtime/error-summary.ts';
import { SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig } from '#runtime/aws-client-config.ts';
import { RuntimeEnv } from '#runtime/runtime-config.ts';
import { logger } from '#runtime/container.ts';
import type { TransactionRecord } from '#transactions/transaction-store.ts';
import { inProcessWebhookQueue, sqsWebhookQueue, type WebhookQueue } from './delivery-queue.ts';
import { buildTransactionEvent } from './events.ts';

const env = process.env;

/** `npm start` and tests: deliveries run in this process (and may go to loopback URLs). */
export const inProcessDelivery = env[RuntimeEnv.webhookDelivery] === 'in-process';

export const localWebhookQueue = inProcessDelivery
  ? inProcessWebhookQueue((error) => logger.error('webhook message failed', { error: summariseError(error) }))
  : undefined;

function queue(): WebhookQueue | undefined {
  if (localWebhookQueue) return localWebhookQueue;
  const url = env[RuntimeEnv.webhookQueueUrl];
  return url ? sqsWebhookQueue(new SQSClient(awsClientConfig(env, 'SQS')), url, env[RuntimeEnv.webhookDeadLetterQueueUrl] ?? '') : undefined;
}

/** Undefined when the function has no webhook queue configured (then nothing is published). */
export const webhookQueue = queue();

/**
 * Queues the event a stored transaction state calls for. Never throws: the state is already
 * stored, and a webhook problem must not disturb the payment path. A lost publication is logged
 * with its ids (`npm run tenant -- webhooks replay --transaction <id>` publishes it again).
 */
export async function publishTransactionEvent(record: TransactionRecord): Promise<void> {
  const event = buildTransactionEvent(record);
  if (!event || !webhookQueue) return;
  try {
    await webhookQueue.send({ kind: 'fan-out', tenantId: record.tenantId, event }, 0);
  } catch (error) {
    logger.error('webhook event not queued', { transactionId: record.id, eventId: event.id, type: event.type, error: summariseError(error) });
  }
}
