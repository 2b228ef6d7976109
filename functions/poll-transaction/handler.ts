/**
 * The polling loop's worker: each SQS message asks for one SmartConnect poll of one transaction;
 * until the transaction is final, the id goes back on the queue with a delay. A failure is
 * rescheduled here (SQS's own redelivery waits a whole visibility timeout); only a message that
 * cannot even be rescheduled is reported back, to land in the dead-letter queue.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { PollMessage } from '#transactions/poll-scheduler.ts';
import { logger } from '#runtime/container.ts';
import { pollScheduler, transactions } from '#transactions/transactions-runtime.ts';

const retryAfterErrorMs = 5_000;

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const message of event.Records) {
    let transactionId: string | undefined;
    try {
      transactionId = (JSON.parse(message.body) as PollMessage).transactionId;
      if (typeof transactionId !== 'string') throw new Error('poll message without a transactionId');
      const next = await transactions.pollOnce(transactionId);
      if (!next.done) await pollScheduler.schedule(transactionId, next.delayMs);
    } catch (error) {
      logger.error('poll failed', { transactionId, messageId: message.messageId, error: String(error) });
      try {
        if (!transactionId) throw error;
        await pollScheduler.schedule(transactionId, retryAfterErrorMs);
      } catch {
        batchItemFailures.push({ itemIdentifier: message.messageId });
      }
    }
  }
  return { batchItemFailures };
}
