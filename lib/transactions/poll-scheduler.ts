/**
 * How "poll this transaction again in N ms" is carried out: an SQS message with a delay in AWS
 * (the queue's consumer runs one poll per message), or a timer in this process for local runs
 * and tests. The poll step itself is the same code either way.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { timerQueue } from '#runtime/timer-queue.ts';

export interface PollScheduler {
  schedule(message: PollMessage, delayMs: number): Promise<void>;
}

/** One poll of one transaction: `seq` numbers the polls of its chain (see lib/transactions/transaction-poll.ts). */
export interface PollMessage {
  readonly transactionId: string;
  /** Absent in messages sent before sequences existed: those are poll 0. */
  readonly seq?: number;
}

/** SQS allows at most 15 minutes of delay per message. */
const maxDelaySeconds = 900;

export function sqsPollScheduler(sqs: SQSClient, queueUrl: string): PollScheduler {
  return {
    async schedule(message, delayMs) {
      const body: PollMessage = { transactionId: message.transactionId, seq: message.seq ?? 0 };
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(body),
          DelaySeconds: Math.min(maxDelaySeconds, Math.max(0, Math.ceil(delayMs / 1000))),
        }),
      );
    },
  };
}

/** Runs one poll message; throws to have it delivered again later (as SQS would). */
export type PollDelivery = (message: PollMessage) => Promise<unknown>;

/**
 * Local stand-in for the SQS loop: delivers each message after its delay, and again after a
 * failure, like a queue's redelivery. Successors are scheduled by the delivery itself.
 */
export function inProcessPollScheduler(onError: (transactionId: string, error: unknown) => void) {
  let deliver: PollDelivery | undefined;
  const queue = timerQueue();
  const scheduler: PollScheduler & { start(deliver: PollDelivery): void; stop(): Promise<void> } = {
    start(delivery) {
      deliver = delivery;
      queue.resume();
    },
    /** Cancels pending polls and waits for those under way, so nothing writes after shutdown. */
    stop: () => queue.stop(),
    async schedule(message, delayMs) {
      queue.later(async () => {
        try {
          await deliver!(message);
        } catch (error) {
          // Like an SQS redelivery: the same message again later rather than a dropped transaction.
          onError(message.transactionId, error);
          await scheduler.schedule(message, Math.max(delayMs, 1_000));
        }
      }, delayMs);
    },
  };
  return scheduler;
}
