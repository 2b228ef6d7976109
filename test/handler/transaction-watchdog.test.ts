import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startDynamoStandIn, transactionTableDefinition, type DynamoStandIn } from '../../local/stand-ins/dynamodb.ts';
import { createTransactionService } from '#transactions/transaction-service.ts';
import { createTransactionStore, type TransactionRecord } from '#transactions/transaction-store.ts';
import type { PollResult, SmartConnectClient } from '#smartconnect/smartconnect-client.ts';

// The poll step is also the watchdog for creates that died half-way: exercised here on the real
// store (DynamoDB stand-in) with a clock the test controls.
let dynamo: DynamoStandIn;
let clock = Date.parse('2026-11-27T10:00:00Z');
const polls: string[] = [];
let nextPoll: PollResult = { kind: 'status', body: { transactionStatus: 'PENDING', data: {} } };

beforeAll(async () => {
  dynamo = await startDynamoStandIn([transactionTableDefinition('watchdog-test')]);
});
afterAll(() => dynamo.close());

function setup() {
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const store = createTransactionStore(db, { tableName: 'watchdog-test', retentionDays: 90 });
  const smartConnect: SmartConnectClient = {
    pair: async () => undefined,
    startTransaction: async () => ({ kind: 'ambiguous', reason: 'not used' }),
    poll: async (url) => {
      polls.push(url);
      return nextPoll;
    },
  };
  const service = createTransactionService({
    store, smartConnect, resolveEnvironment: async () => 'https://127.0.0.1:1/POS', scheduler: { schedule: async () => undefined },
    pollIntervalMs: 2_000, tokenTtlMs: 900_000, sendDeadlineMs: 30_000, now: () => clock,
  });
  return { store, service };
}

const record = (id: string, lifecycle: TransactionRecord['lifecycle'], ageMs: number, pollingUrl?: string): TransactionRecord => ({
  id, tenantId: 't', idempotencyKey: `k-${id}`, requestHash: 'h', lifecycle, pollingUrl,
  request: { transactionType: 'Card.Purchase', posRegisterId: `r-${id}`, posBusinessName: 'b', posVendorName: 'v', amountTotal: 1 },
  createdAt: new Date(clock - ageMs).toISOString(), updatedAt: new Date(clock - ageMs).toISOString(), createdAtMs: clock - ageMs, pollCount: 0, consecutiveErrors: 0,
});

test('a create still SENDING within its deadline is left alone', async () => {
  const { store, service } = setup();
  await store.insert(record('a0000000-0000-4000-8000-000000000001', 'SENDING', 5_000));
  expect(await service.pollOnce('a0000000-0000-4000-8000-000000000001')).toEqual({ done: false, delayMs: 2_000 });
  expect((await store.get('a0000000-0000-4000-8000-000000000001'))!.lifecycle).toBe('SENDING');
});

test('a create stuck in SENDING past its deadline becomes UNKNOWN and frees the register', async () => {
  const { store, service } = setup();
  const stuck = record('a0000000-0000-4000-8000-000000000002', 'SENDING', 31_000);
  await store.insert(stuck);
  await store.acquireRegisterLock('t', stuck.request, stuck.id, clock - 31_000, 10 * 60_000);
  expect(await service.pollOnce(stuck.id)).toEqual({ done: true });
  expect(await store.get(stuck.id)).toMatchObject({ lifecycle: 'UNKNOWN', outcome: 'UNKNOWN', unknownReason: expect.stringMatching(/stopped while sending/) });
  expect(await store.acquireRegisterLock('t', stuck.request, 'next-transaction', clock, 1_000)).toEqual({ acquired: true });
});

test('past the token lifetime the relay stops polling even if SmartConnect never says so', async () => {
  const { store, service } = setup();
  await store.insert(record('a0000000-0000-4000-8000-000000000003', 'PENDING', 900_000 + 30_001, 'https://127.0.0.1:1/pos/transaction/x?merchantAccessToken=y'));
  const before = polls.length;
  expect(await service.pollOnce('a0000000-0000-4000-8000-000000000003')).toEqual({ done: true });
  expect(polls.length).toBe(before);
  expect((await store.get('a0000000-0000-4000-8000-000000000003'))!.lifecycle).toBe('UNKNOWN');
});

test('a final transaction is never moved again', async () => {
  const { store, service } = setup();
  const done = { ...record('a0000000-0000-4000-8000-000000000004', 'COMPLETED', 1_000), outcome: 'APPROVED' as const };
  await store.insert(done);
  expect(await service.pollOnce(done.id)).toEqual({ done: true });
  expect(await store.transition(done.id, ['PENDING', 'DELAYED', 'SENDING'], { lifecycle: 'UNKNOWN' })).toBeUndefined();
  expect((await store.get(done.id))!.outcome).toBe('APPROVED');
});

test('a poll for a transaction that no longer exists ends quietly', async () => {
  const { service } = setup();
  expect(await service.pollOnce('a0000000-0000-4000-8000-000000000099')).toEqual({ done: true });
});

test.each([
  [{ kind: 'invalid', status: 404 } as const, /no longer accepts this transaction's polling URL \(HTTP 404\)/],
  [{ kind: 'expired' } as const, /polling token expired/],
])('a poll answered %j ends UNKNOWN (never FAILED) with the reason', async (answer, reason) => {
  const { store, service } = setup();
  const id = answer.kind === 'expired' ? 'a0000000-0000-4000-8000-000000000005' : 'a0000000-0000-4000-8000-000000000006';
  await store.insert(record(id, 'PENDING', 60_000, 'https://127.0.0.1:1/pos/transaction/x?merchantAccessToken=y'));
  nextPoll = answer;
  expect(await service.pollOnce(id)).toEqual({ done: true });
  expect(await store.get(id)).toMatchObject({ lifecycle: 'UNKNOWN', outcome: 'UNKNOWN', unknownReason: expect.stringMatching(reason) });
});
