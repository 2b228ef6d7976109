/**
 * The delivery queue: SQS in AWS (with a dead-letter queue), timers in this process for
 * `npm start` and tests. Messages carry the whole event, so a delivery needs no extra read.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { timerQueue } from '#runtime/timer-queue.ts';
import type { WebhookEvent } from './events.ts';

/** A new event: deliver it to each of the tenant's endpoints subscribed to its type. */
export interface FanOutMessage {
  readonly kind: 'fan-out';
  readonly tenantId: string;
  readonly event: WebhookEvent;
}

/** One event to one endpoint, attempt `attempt` (1 = first). */
export interface DeliveryMessage {
  readonly kind: 'delivery';
  readonly tenantId: string;
  readonly endpointId: string;
  readonly event: WebhookEvent;
  readonly attempt: number;
  readonly firstAttemptAtMs: number;
  /** Not before this epoch ms: SQS delays at most 15 min, so longer waits are re-queued until then. */
  readonly notBeforeMs?: number;
  /** Why the last attempt failed (for the dead-letter queue; never a URL or a secret). */
  readonly lastError?: string;
}

export type WebhookMessage = FanOutMessage | DeliveryMessage;

export interface WebhookQueue {
  send(message: WebhookMessage, delayMs: number): Promise<void>;
  /** Gives up on a delivery: it goes to the dead-letter queue (and its alarm). */
  deadLetter(message: DeliveryMessage): Promise<void>;
}

/** SQS's longest per-message delay. */
export const maxSqsDelaySeconds = 900;

export function parseWebhookMessage(body: string): WebhookMessage {
  const message = JSON.parse(body) as WebhookMessage;
  if ((message?.kind !== 'fan-out' && message?.kind !== 'delivery') || typeof message.tenantId !== 'string' || typeof message.event?.id !== 'string') {
    throw new Error('not a webhook message');
  }
  return message;
}

export function sqsWebhookQueue(sqs: SQSClient, queueUrl: string, deadLetterQueueUrl: string): WebhookQueue {
  return {
    async send(message, delayMs) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(message),
          DelaySeconds: Math.min(maxSqsDelaySeconds, Math.max(0, Math.ceil(delayMs / 1000))),
        }),
      );
    },
    async deadLetter(message) {
      await sqs.send(new SendMessageCommand({ QueueUrl: deadLetterQueueUrl, MessageBody: JSON.stringify(message) }));
    },
  };
}

export type MessageHandler = (message: WebhookMessage) => Promise<void>;

/** Local stand-in for the SQS loop: runs each message on a timer; the dead letters stay in memory. */
export function inProcessWebhookQueue(onError: (error: unknown) => void) {
  let handle: MessageHandler | undefined;
  const timers = timerQueue();
  const deadLetters: DeliveryMessage[] = [];
  const queue: WebhookQueue & { start(handler: MessageHandler): void; stop(): Promise<void>; readonly deadLetters: DeliveryMessage[] } = {
    deadLetters,
    start(handler) {
      handle = handler;
      timers.resume();
    },
    stop: () => timers.stop(),
    async send(message, delayMs) {
      // Round-trip through JSON like SQS, so nothing works locally that would not in AWS.
      const body = JSON.stringify(message);
      timers.later(async () => {
        try {
          await handle?.(parseWebhookMessage(body));
        } catch (error) {
          onError(error);
        }
      }, delayMs);
    },
    async deadLetter(message) {
      deadLetters.push(message);
    },
  };
  return queue;
}
