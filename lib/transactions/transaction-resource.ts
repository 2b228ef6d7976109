/** The transaction as the POS sees it: never the polling URL, the token or anything unmasked. */
import { cashierMessage, type Outcome, type TransactionResult, type TransactionStatus } from './transaction-outcome.ts';
import type { TransactionRequest } from './transaction-request.ts';
import type { TransactionRecord } from './transaction-store.ts';

export interface TransactionResource {
  readonly id: string;
  readonly status: TransactionStatus;
  readonly outcome: Outcome | null;
  /** What to tell the cashier now. */
  readonly message: string;
  readonly transactionType: TransactionRequest['transactionType'];
  readonly posRegisterId: string;
  readonly posBusinessName: string;
  readonly posVendorName: string;
  readonly request: TransactionRequest;
  readonly result: TransactionResult | null;
  readonly unknownReason?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly completedAt: string | null;
  readonly links: { readonly self: string };
}

export function toResource(record: TransactionRecord): TransactionResource {
  const status: TransactionStatus = record.lifecycle === 'SENDING' ? 'PENDING' : record.lifecycle;
  const { request } = record;
  return {
    id: record.id,
    status,
    outcome: record.outcome ?? null,
    message: cashierMessage(status, record.outcome),
    transactionType: request.transactionType,
    posRegisterId: request.posRegisterId,
    posBusinessName: request.posBusinessName,
    posVendorName: request.posVendorName,
    request,
    result: record.result ?? null,
    ...(record.unknownReason ? { unknownReason: record.unknownReason } : {}),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    completedAt: record.completedAt ?? null,
    links: { self: `/transactions/${record.id}` },
  };
}
