/** GET /transactions/{transactionId}: the stored transaction, for as long as it is retained. */
import * as z from 'zod/mini';
import { httpHandler, jsonResponse, type ApiEvent } from '#http/middy-stack.ts';
import { RelayProblem } from '#http/problem.ts';
import { requireTenant } from '#tenants/tenant-context.ts';
import { toResource } from '#transactions/transaction-resource.ts';
import { requireTransactionsTable, transactionStore } from '#transactions/transactions-runtime.ts';
import { parseOrThrow } from '#http/validation.ts';

const transactionId = z.string({ error: 'is required' }).check(z.uuid({ error: 'must be a transaction id returned by POST /transactions' }));

export const transactionNotFound = (id: string) =>
  new RelayProblem({
    status: 404,
    code: 'transaction-not-found',
    title: 'No such transaction',
    detail: `There is no transaction ${id} for this account. Check the id, or list the register's transactions with GET /transactions?posRegisterId=…`,
  });

export async function getTransaction(event: ApiEvent) {
  const id = parseOrThrow(transactionId, event.pathParameters?.transactionId, 'transactionId');
  requireTransactionsTable();
  const record = await transactionStore.get(id);
  // Another tenant's transaction is indistinguishable from a missing one.
  if (!record || record.tenantId !== requireTenant(event).tenantId) throw transactionNotFound(id);
  return jsonResponse(200, toResource(record));
}

export const handler = httpHandler(getTransaction);
