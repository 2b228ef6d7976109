/**
 * POST /transactions: starts a transaction on the register's terminal, at most once per
 * Idempotency-Key, and answers at once (202); the outcome is followed in the background.
 */
import { httpHandler, jsonResponse, type JsonEvent } from '#http/middy-stack.ts';
import { assertVendorAllowed, requireTenant } from '#tenants/tenant-context.ts';
import { transactionRequest } from '#transactions/transaction-request.ts';
import { toResource } from '#transactions/transaction-resource.ts';
import { requireTransactionsTable, transactions } from '#transactions/transactions-runtime.ts';
import { parseOrThrow } from '#http/validation.ts';
import { idempotencyKeySchema } from './request.ts';

export async function createTransaction(event: JsonEvent) {
  const idempotencyKey = parseOrThrow(idempotencyKeySchema, event.headers['idempotency-key'], 'Idempotency-Key');
  const request = parseOrThrow(transactionRequest, event.body);
  const tenant = requireTenant(event);
  assertVendorAllowed(tenant, request.posVendorName);
  requireTransactionsTable();
  const { replayed, record } = await transactions.create(tenant.tenantId, idempotencyKey, request);
  const resource = toResource(record);
  return jsonResponse(replayed ? 200 : 202, resource, {
    location: resource.links.self,
    ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
  });
}

export const handler = httpHandler(createTransaction, { jsonBody: true });
