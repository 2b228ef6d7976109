import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startDynamoStandIn, transactionTableDefinition, type DynamoStandIn } from '../../local/stand-ins/dynamodb.ts';
import { createTransactionPoller, type UnresolvedEvent } from '#transactions/transaction-poll.ts';
import { createTransactionService } from '#transactions/transaction-service.ts';
import { createTransactionStore, type TransactionRecord } from '#transactions/transaction-store.ts';
import type { PollMessage } from '#transactions/poll-scheduler.ts';
import type { PollResult, SmartConnectClient, TransactionStart } from '#smartconnect/smartconnect-client.ts';
import { RelayProblem } from '#http/problem.ts';

// The poll chain's rules on the real store (DynamoDB stand-in), with a clock the test moves.
const tokenTtlMs = 900_000;
const sendDeadlineMs = 30_000;
const pollIntervalMs = 2_000;
let dynamo: DynamoStandIn;
let store: ReturnType<typeof createTransactionStore>;

beforeAll(async () => {
  dynamo = await startDynamoStandIn([transactionTableDefinition('poll-test')]);
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  store = createTransactionStore(db, { tableName: 'poll-test', retentionDays: 90 });
});
afterAll(() => dynamo.close());

function harness(answers: PollResult[] = []) {
  const world = { clock: Date.parse('2026-11-27T10:00:00Z'), polls: 0, scheduled: [] as { message: PollMessage; delayMs: number }[], unresolved: [] as UnresolvedEvent[] };
  const smartConnect: SmartConnectClient = {
    pair: async () => undefined,
    startTransaction: async () => ({ kind: 'ambiguous', reason: 'not used' }),
    poll: async () => {
      world.polls += 1;
      return answers.shift() ?? { kind: 'status', body: { transactionStatus: 'PENDING', data: {} } };
    },
  };
  const poller = createTransactionPoller({
    store, smartConnect, pollIntervalMs, tokenTtlMs, sendDeadlineMs, now: () => world.clock,
    scheduler: { schedule: async (message, delayMs) => void world.scheduled.push({ message, delayMs }) },
    onUnresolved: (event) => world.unresolved.push(event),
  });
  return { world, poller };
}

async function pending(createdAtMs: number, extra: Partial<TransactionRecord> = {}): Promise<TransactionRecord> {
  const id = randomUUID();
  const record: TransactionRecord = {
    id, tenantId: 't', idempotencyKey: `k-${id}`, requestHash: 'h', lifecycle: 'PENDING', pollingUrl: 'https://127.0.0.1:1/pos/transaction/x?merchantAccessToken=y',
    request: { transactionType: 'Card.Purchase', posRegisterId: `r-${id}`, posBusinessName: 'b', posVendorName: 'v', amountTotal: 1 },
    createdAt: new Date(createdAtMs).toISOString(), updatedAt: new Date(createdAtMs).toISOString(), createdAtMs, pollCount: 0, consecutiveErrors: 0, pollSeq: 0, ...extra,
  };
  await store.insert(record);
  return record;
}

describe('one chain per transaction', () => {
  test('a message whose seq was taken or passed is dropped; each seq polls once', async () => {
    const { world, poller } = harness();
    const record = await pending(world.clock);
    const results = await Promise.all([0, 0, 0, 0].map(() => poller.deliver({ transactionId: record.id, seq: 0 })));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(world.polls).toBe(1);
    expect(world.scheduled).toEqual([{ message: { transactionId: record.id, seq: 1 }, delayMs: pollIntervalMs }]);
    expect(await poller.deliver({ transactionId: record.id, seq: 0 })).toBe(false);
    expect(await poller.deliver({ transactionId: record.id })).toBe(false);
    expect(await poller.deliver({ transactionId: record.id, seq: 1 })).toBe(true);
    expect(await poller.deliver({ transactionId: record.id, seq: 1 })).toBe(false);
    expect(world.polls).toBe(2);
    expect((await store.get(record.id))!.pollSeq).toBe(2);
  });

  test('a worker that died holding a poll: its redelivery takes the poll again once the lease ran out', async () => {
    const { world, poller } = harness();
    const record = await pending(world.clock);
    // The dead worker took seq 0 and never handed it on.
    expect(await store.claimPoll(record.id, 0, world.clock, sendDeadlineMs)).toBe(true);
    expect(await poller.deliver({ transactionId: record.id, seq: 0 })).toBe(false);
    world.clock += sendDeadlineMs + 1;
    expect(await poller.deliver({ transactionId: record.id, seq: 0 })).toBe(true);
    expect(world.polls).toBe(1);
  });

  test('a failed poll gives its seq back, so the redelivered message polls', async () => {
    const { world, poller } = harness();
    const record = await pending(world.clock);
    const failing = createTransactionPoller({
      store, pollIntervalMs, tokenTtlMs, sendDeadlineMs, now: () => world.clock,
      smartConnect: { pair: async () => undefined, startTransaction: async () => ({ kind: 'not-sent', reason: 'x' }), poll: async () => Promise.reject(new Error('boom')) },
      scheduler: { schedule: async () => undefined },
    });
    await expect(failing.deliver({ transactionId: record.id, seq: 0 })).rejects.toThrow('boom');
    expect(await poller.deliver({ transactionId: record.id, seq: 0 })).toBe(true);
  });

  test('a message for a transaction that does not exist is dropped and creates nothing', async () => {
    const { poller } = harness();
    const id = randomUUID();
    expect(await poller.deliver({ transactionId: id, seq: 0 })).toBe(false);
    expect(await store.get(id)).toBeUndefined();
  });

  test('resumeActivePolls re-enqueues every pending transaction at its seq, after any lease left behind', async () => {
    const { world, poller } = harness();
    const free = await pending(world.clock, { pollSeq: 4 });
    const leased = await pending(world.clock, { pollSeq: 2, pollLeaseUntilMs: world.clock + 5_000 });
    const done = await pending(world.clock, { lifecycle: 'COMPLETED', outcome: 'APPROVED' });
    await poller.resumeActivePolls();
    const byId = new Map(world.scheduled.map((s) => [s.message.transactionId, s]));
    expect(byId.get(free.id)).toEqual({ message: { transactionId: free.id, seq: 4 }, delayMs: 0 });
    expect(byId.get(leased.id)!.message.seq).toBe(2);
    expect(byId.get(leased.id)!.delayMs).toBeGreaterThan(5_000);
    expect(byId.has(done.id)).toBe(false);
  });
});

describe('every chain ends', () => {
  test('a single 404 is polled again; the third in a row ends UNKNOWN, counted', async () => {
    const notFound = { kind: 'invalid', status: 404 } as const;
    const { world, poller } = harness([notFound, notFound, { kind: 'status', body: { transactionStatus: 'PENDING', data: {} } }, notFound, notFound, notFound]);
    const record = await pending(world.clock);
    for (let i = 0; i < 5; i += 1) expect(await poller.pollOnce(record.id)).toEqual({ done: false, delayMs: pollIntervalMs });
    expect(world.unresolved).toEqual([]);
    expect(await poller.pollOnce(record.id)).toEqual({ done: true });
    expect(await store.get(record.id)).toMatchObject({ lifecycle: 'UNKNOWN', unknownReason: expect.stringMatching(/HTTP 404/) });
    expect(world.unresolved).toEqual([expect.objectContaining({ transactionId: record.id, reason: 'polling-url-invalid' })]);
  });

  test('an absurd Retry-After is capped, and never schedules past the deadline', async () => {
    const { world, poller } = harness([{ kind: 'rate-limited', retryAfterMs: Infinity }, { kind: 'rate-limited', retryAfterMs: 1e308 }]);
    const record = await pending(world.clock);
    expect(await poller.pollOnce(record.id)).toEqual({ done: false, delayMs: 60_000 });
    world.clock = record.createdAtMs + tokenTtlMs + sendDeadlineMs - 5_000;
    expect(await poller.pollOnce(record.id)).toEqual({ done: false, delayMs: 5_000 });
  });

  test('a transaction whose polls keep failing ends UNKNOWN soon after the token expires, once, with its reason', async () => {
    const { world, poller } = harness(Array.from({ length: 10_000 }, () => ({ kind: 'transient', reason: 'SmartConnect answered 503' }) as const));
    const record = await pending(world.clock);
    const deadline = record.createdAtMs + tokenTtlMs + sendDeadlineMs;
    let steps = 0;
    for (let next = await poller.pollOnce(record.id); !next.done; next = await poller.pollOnce(record.id)) {
      expect(world.clock + next.delayMs).toBeLessThanOrEqual(deadline);
      world.clock += next.delayMs;
      steps += 1;
      expect(steps).toBeLessThan(200);
    }
    expect(world.clock).toBe(deadline);
    expect(await store.get(record.id)).toMatchObject({ lifecycle: 'UNKNOWN', outcome: 'UNKNOWN', unknownReason: expect.stringMatching(/polling token expired/) });
    expect(world.unresolved).toEqual([{ transactionId: record.id, reason: 'deadline-passed', ageMs: tokenTtlMs + sendDeadlineMs, pollCount: expect.any(Number) }]);
  });
});

describe('a duplicate while the first create is still being sent', () => {
  test('waits briefly for its answer, then 409 idempotency-key-in-progress with Retry-After; never a second POST', async () => {
    let release!: (start: TransactionStart) => void;
    let posts = 0;
    const service = createTransactionService({
      store, resolveEnvironment: async () => 'https://127.0.0.1:1/POS', scheduler: { schedule: async () => undefined },
      pollIntervalMs, tokenTtlMs, sendDeadlineMs, inFlightWaitMs: 300,
      smartConnect: {
        pair: async () => undefined,
        poll: async () => ({ kind: 'transient', reason: 'x' }),
        startTransaction: () => {
          posts += 1;
          return new Promise((resolve) => (release = resolve));
        },
      },
    });
    const request = { transactionType: 'Card.Purchase' as const, posRegisterId: `r-${randomUUID()}`, posBusinessName: 'b', posVendorName: 'v', amountTotal: 5 };
    const first = service.create('t', 'key-in-flight', request);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = await service.create('t', 'key-in-flight', request).catch((error: unknown) => error);
    expect(second).toBeInstanceOf(RelayProblem);
    expect(second).toMatchObject({ status: 409, code: 'idempotency-key-in-progress', headers: { 'Retry-After': '2' } });
    release({ kind: 'refused', status: 400, message: 'not paired' });
    await expect(first).rejects.toMatchObject({ status: 400, extensions: { charged: false, retryWithNewIdempotencyKey: true } });
    await expect(service.create('t', 'key-in-flight', request)).rejects.toMatchObject({ status: 400, headers: { 'Idempotent-Replayed': 'true' } });
    expect(posts).toBe(1);
  });
});
