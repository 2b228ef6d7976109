/**
 * GET /transactions?posRegisterId=…: a register's transactions, newest first, so a POS that lost
 * a response (crash, reload, timeout) can find what it started.
 */
import * as z from 'zod/mini';
import { httpHandler, jsonResponse, type ApiEvent } from '#http/middy-stack.ts';
import { problems } from '#http/problem.ts';
import { requireTenant } from '#tenants/tenant-context.ts';
import { toResource } from '#transactions/transaction-resource.ts';
import { InvalidCursorError } from '#transactions/transaction-store.ts';
import { requireTransactionsTable, transactionStore } from '#transactions/transactions-runtime.ts';
import { parseOrThrow, requiredText } from '#http/validation.ts';

const listQuery = z.strictObject({
  posRegisterId: requiredText(64, 'The register whose transactions to list.'),
  limit: z.optional(
    z.string().check(z.regex(/^(?:[1-9]\d?|100)$/, { error: 'must be a whole number from 1 to 100' })),
  ),
  cursor: z.optional(z.string().check(z.maxLength(2048, { error: 'is not a cursor from this API' }))),
});

export async function listTransactions(event: ApiEvent) {
  const query = parseOrThrow(listQuery, event.queryStringParameters ?? {}, '');
  requireTransactionsTable();
  let page;
  try {
    page = await transactionStore.listByRegister(requireTenant(event).tenantId, query.posRegisterId, Number(query.limit ?? 20), query.cursor);
  } catch (error) {
    if (error instanceof InvalidCursorError) throw problems.invalidRequest([{ field: 'cursor', message: error.message }]);
    throw error;
  }
  const next = page.cursor
    ? `/transactions?${new URLSearchParams({ posRegisterId: query.posRegisterId, ...(query.limit ? { limit: query.limit } : {}), cursor: page.cursor })}`
    : null;
  return jsonResponse(200, { items: page.items.map(toResource), nextCursor: page.cursor ?? null, links: { next } });
}

export const handler = httpHandler(listTransactions);
