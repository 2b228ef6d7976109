/**
 * How "poll this transaction again in N ms" is carried out: an SQS message with a delay in AWS
 * (the queue's consumer runs one poll per message), or a timer in this process for local runs
 * and tests. The poll step itself is the same code either way.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface PollScheduler {
  schedule(transactionId: string, delayMs: number): Promise<void>;
}

export interface PollMessage {
  readonly transactionId: string;
}

/** SQS allows at most 15 minutes of delay per message. */
const maxDelaySeconds = 900;

export function sqsPollScheduler(sqs: SQSClient, queueUrl: string): PollScheduler {
  return {
    async schedule(transactionId, delayMs) {
      const body: PollMessage = { transactionId };
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

export type PollStep = (transactionId: string) => Promise<{ readonly done: true } | { readonly done: false; readonly delayMs: number }>;

/** Local stand-in for the SQS loop: runs the poll step on a timer until it says done. */
export function inProcessPollScheduler(onError: (transactionId: string, error: unknown) => void) {
  let step: PollStep | undefined;
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  const scheduler: PollScheduler & { start(step: PollStep): void; stop(): Promise<void> } = {
    start(pollStep) {
      step = pollStep;
      stopped = false;
    },
    /** Cancels pending polls and waits for those under way, so nothing writes after shutdown. */
    async stop() {
      // A poll already under way would otherwise schedule its successor after this.
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...running]);
    },
    async schedule(transactionId, delayMs) {
      if (stopped) return;
      const poll = async () => {
        try {
          const next = await step!(transactionId);
          if (!next.done) await scheduler.schedule(transactionId, next.delayMs);
        } catch (error) {
          // Like an SQS redelivery: try again later rather than drop the transaction.
          onError(transactionId, error);
          await scheduler.schedule(transactionId, Math.max(delayMs, 1_000));
        }
      };
      const timer = setTimeout(() => {
        timers.delete(timer);
        const run = poll();
        running.add(run);
        void run.finally(() => running.delete(run));
      }, delayMs);
      // The local server keeps the process alive; pending polls alone should not.
      timer.unref();
      timers.add(timer);
    },
  };
  return scheduler;
}
