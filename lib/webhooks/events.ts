/**
 * Webhook events: what happened to a transaction, with the transaction exactly as
 * GET /transactions/{id} returns it at that moment.
 */
import { createHash } from 'node:crypto';
import { toResource, type TransactionResource } from '#transactions/transaction-resource.ts';
import type { TransactionRecord } from '#transactions/transaction-store.ts';

export const webhookEventTypes = ['transaction.completed', 'transaction.unknown', 'transaction.delayed'] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

export interface WebhookEvent {
  readonly id: string;
  readonly type: WebhookEventType;
  readonly createdAt: string;
  readonly data: { readonly transaction: TransactionResource };
}

/** The event a stored state calls for, or undefined (PENDING and SENDING announce nothing). */
export function eventTypeFor(record: Pick<TransactionRecord, 'lifecycle'>): WebhookEventType | undefined {
  switch (record.lifecycle) {
    case 'COMPLETED':
      return 'transaction.completed';
    case 'UNKNOWN':
      return 'transaction.unknown';
    case 'DELAYED':
      return 'transaction.delayed';
    default:
      return undefined;
  }
}

/**
 * One id per transaction and event type, so a second publication of the same state (a retried
 * poll, a replay) carries the id the POS already deduplicates on.
 */
export function eventIdFor(transactionId: string, type: WebhookEventType): string {
  return `evt_${createHash('sha256').update(`${transactionId}\n${type}`).digest('base64url').slice(0, 32)}`;
}

export function buildTransactionEvent(record: TransactionRecord): WebhookEvent | undefined {
  const type = eventTypeFor(record);
  if (!type) return undefined;
  return { id: eventIdFor(record.id, type), type, createdAt: record.updatedAt, data: { transaction: toResource(record) } };
}
