/**
 * The webhook delivery queue's consumer: one message is a new event to fan out or one delivery
 * attempt; failed attempts are re-queued with back-off by the worker itself. Only a message the
 * worker could not even handle is reported back, for SQS to retry and finally dead-letter.
 */
import { summariseError } from '#runtime/error-summary.ts';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { logger } from '#runtime/container.ts';
import { parseWebhookMessage } from '#webhooks/delivery-queue.ts';
import { deliveryWorker } from '#webhooks/webhooks-runtime.ts';

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      await deliveryWorker.handle(parseWebhookMessage(record.body));
    } catch (error) {
      logger.error('webhook message failed', { messageId: record.messageId, error: summariseError(error) });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}
