/**
 * The polling loop's worker: each SQS message asks for one SmartConnect poll of one transaction;
 * until the transaction is final, the next message goes back on the queue with a delay. A message
 * whose poll is already taken or done (SQS redelivers, and may duplicate) is dropped: each
 * transaction has one poll chain (lib/transactions/transaction-poll.ts). A failure is rescheduled
 * here (SQS's own redelivery waits a whole visibility timeout); only a message that cannot even be
 * rescheduled is reported back, to land in the dead-letter queue.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { PollMessage } from '#transactions/poll-scheduler.ts';
import { logger } from '#runtime/container.ts';
import { flushMetrics } from '#runtime/telemetry.ts';
import { pollScheduler, transactions } from '#transactions/transactions-runtime.ts';
import { summariseError } from '#runtime/error-summary.ts';

const retryAfterErrorMs = 5_000;

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    let message: PollMessage | undefined;
    try {
      message = parseMessage(record.body);
      await transactions.deliverPoll(message);
    } catch (error) {
      logger.error('poll failed', { transactionId: message?.transactionId, seq: message?.seq, messageId: record.messageId, error: summariseError(error) });
      try {
        if (!message) throw error;
        await pollScheduler.schedule(message, retryAfterErrorMs);
      } catch {
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
  }
  flushMetrics();
  return { batchItemFailures };
}

function parseMessage(body: string): PollMessage {
  const { transactionId, seq } = JSON.parse(body) as Record<string, unknown>;
  if (typeof transactionId !== 'string') throw new Error('poll message without a transactionId');
  if (seq !== undefined && !(Number.isSafeInteger(seq) && (seq as number) >= 0)) throw new Error('poll message with an invalid seq');
  return { transactionId, seq: (seq as number | undefined) ?? 0 };
}
