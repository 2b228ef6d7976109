/**
 * What a webhook-aware function builds once per container, configured only by its environment
 * (functions/shared/runtime-config.ts): the endpoint store, the URL policy, the delivery queue
 * (SQS in AWS, timers locally) and the publisher the transaction service calls on each state change.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig } from '../../functions/shared/aws-client-config.ts';
import { problems } from '../../functions/shared/problem.ts';
import { RuntimeEnv } from '../../functions/shared/runtime-config.ts';
import { logger, positiveNumber } from '../../functions/shared/runtime.ts';
import type { TransactionRecord } from '../../functions/shared/transaction-store.ts';
import { inProcessWebhookQueue, sqsWebhookQueue, type WebhookQueue } from './delivery-queue.ts';
import { createDeliveryWorker } from './delivery-worker.ts';
import { createEndpointStore } from './endpoint-store.ts';
import { buildTransactionEvent } from './events.ts';
import { systemResolver, type UrlPolicy } from './url-policy.ts';

const env = process.env;
const inProcess = env[RuntimeEnv.webhookDelivery] === 'in-process';
/** npm start retries 100x faster than AWS: a 30 s back-off takes 0.3 s, the 72 h window 43 min. */
const localBackoffScale = 0.01;

const tableName = env[RuntimeEnv.webhooksTable];
const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 3, ...awsClientConfig(env, 'DYNAMODB') }), {
  marshallOptions: { removeUndefinedValues: true },
});
export const endpointStore = createEndpointStore(dynamo, tableName ?? '');

/** Deployed: https to public addresses only. npm start: also http://localhost and http://127.0.0.1. */
export const urlPolicy: UrlPolicy = { allowLoopback: inProcess, resolve: systemResolver };

const local = inProcess ? inProcessWebhookQueue((error) => logger.error('webhook message failed', { error: String(error) })) : undefined;

function queue(): WebhookQueue | undefined {
  if (local) return local;
  const url = env[RuntimeEnv.webhookQueueUrl];
  const deadLetters = env[RuntimeEnv.webhookDeadLetterQueueUrl];
  return url ? sqsWebhookQueue(new SQSClient(awsClientConfig(env, 'SQS')), url, deadLetters ?? '') : undefined;
}

export const webhookQueue = queue();

export const deliveryWorker = createDeliveryWorker({
  store: endpointStore,
  queue: webhookQueue ?? { send: () => Promise.reject(noQueue()), deadLetter: () => Promise.reject(noQueue()) },
  urlPolicy,
  backoffScale: inProcess ? positiveNumber(env[RuntimeEnv.webhookBackoffScale], localBackoffScale) : 1,
  log: (level, message, attributes) => logger[level](message, attributes),
});
local?.start(deliveryWorker.handle);

function noQueue() {
  return problems.misconfigured('The relay has no webhook queue configured.');
}

/**
 * Queues the event a stored transaction state calls for. Never throws: the state is already
 * stored, and a webhook problem must not disturb the payment path. A lost publication is logged
 * with its event id (the POS still sees the outcome through GET /transactions/{id}).
 */
export async function publishTransactionEvent(record: TransactionRecord): Promise<void> {
  const event = buildTransactionEvent(record);
  if (!event || !webhookQueue) return;
  try {
    await webhookQueue.send({ kind: 'fan-out', tenantId: record.tenantId, event }, 0);
  } catch (error) {
    logger.error('webhook event not queued', { transactionId: record.id, eventId: event.id, type: event.type, error: String(error) });
  }
}

/** Fails fast when the function was deployed without its table. */
export function requireWebhooksTable(): void {
  if (!tableName) throw problems.misconfigured('The relay has no webhooks table configured.');
}

/** The in-process dead letters (npm start), for tests and the local CLI view. */
export const localDeadLetters = local?.deadLetters;

/** Stops local deliveries and waits for those under way (local server shutdown). */
export async function stopInProcessWebhooks(): Promise<void> {
  await local?.stop();
}
