/**
 * Issue 7, item 6: `kill -9` of a real `npm start` with transactions pending, then a restart on
 * the same state directory. Every transaction is still there, replays of its Idempotency-Key
 * return it and send nothing, and each one reaches a final state.
 */
import { afterAll, afterEach, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startSimulator, type Simulator } from '../../local/simulator/index.ts';
import { send as sendTls } from '../simulator/helpers.ts';
import { createFigures } from './support/figures.ts';
import type { Answer } from './support/http.ts';
import { create, newRegister, pair, postsFor, purchase, read, transactionId, waitForFinal, type Register, type Relay } from './support/relay-calls.ts';
import { spawnRelay, type SpawnedRelay } from './support/spawned-relay.ts';

const figures = createFigures(import.meta.url);
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
});
afterAll(() => figures.save());

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'reliability-crash-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function started(run: Promise<SpawnedRelay>): Promise<SpawnedRelay> {
  const relay = await run;
  cleanup.push(() => relay.stop());
  return relay;
}

interface Sale {
  readonly register: Register;
  readonly key: string;
  readonly body: ReturnType<typeof purchase>;
  readonly id: string;
}

async function startSales(relay: Relay, registers: readonly Register[]): Promise<Sale[]> {
  return Promise.all(
    registers.map(async (register, i) => {
      const key = `crash-${i}-${randomUUID()}`;
      const body = purchase(register, 1_000 + i * 100);
      const answer = await create(relay, body, key);
      figures.requests += 1;
      if (answer.status !== 202) throw new Error(`create failed: ${answer.status} ${answer.text}`);
      return { register, key, body, id: transactionId(answer)! };
    }),
  );
}

/** After the restart: each sale is still readable, its replay returns it, and it ends final. */
async function expectSurvived(relay: Relay, sales: readonly Sale[]): Promise<Record<string, unknown>[]> {
  const reads = await Promise.all(sales.map((sale) => read(relay, sale.id)));
  const replays: Answer[] = await Promise.all(sales.map((sale) => create(relay, sale.body, sale.key)));
  const finals = await Promise.all(sales.map((sale) => waitForFinal(relay, sale.id, 45_000).catch(() => undefined)));
  figures.requests += reads.length + replays.length + finals.length;
  figures.serverErrors += [...reads, ...replays].filter((a) => a.status >= 500).length;
  figures.transactionsLost += sales.filter((_, i) => reads[i]!.status !== 200 || finals[i] === undefined).length;

  expect(reads.map((a) => a.status)).toEqual(sales.map(() => 200));
  expect(replays.map((a) => [a.status, transactionId(a), a.headers['idempotent-replayed']])).toEqual(sales.map((s) => [200, s.id, 'true']));
  expect(finals.map((f) => f?.status)).toEqual(sales.map(() => 'COMPLETED'));
  return finals as Record<string, unknown>[];
}

test('kill -9 with six sales pending, restart: nothing lost, replays send nothing, every sale ends final', async () => {
  // SmartConnect lives on while the relay dies, as it would; its terminals take 8 s.
  const simulator: Simulator = await startSimulator({ deviceResponseMs: 8_000, minPollIntervalMs: 0 });
  cleanup.push(() => simulator.close());
  const stateDir = await tempDir();
  const env = { POLL_INTERVAL_MS: '500' };
  const first = await started(spawnRelay({ smartConnectEnvironment: simulator.baseUrl, stateDir, env }));

  const registers = Array.from({ length: 6 }, () => newRegister());
  for (const register of registers) expect((await pair(first, simulator.issuePairingCode(), register)).status).toBe(200);
  const sales = await startSales(first, registers);
  await first.crash();

  const second = await started(spawnRelay({ smartConnectEnvironment: simulator.baseUrl, stateDir, env, port: first.port }));
  const survived = await expectSurvived(second, sales).catch((error: Error) => error);
  // Counted before any verdict, so the figures show double charges too.
  const posts = registers.map((register) => postsFor(simulator, register).length);
  figures.maxUpstreamPostsPerKey = Math.max(figures.maxUpstreamPostsPerKey, ...posts);
  if (survived instanceof Error) throw survived;
  expect(survived.map((f) => f.outcome)).toEqual(sales.map(() => 'APPROVED'));
  expect(posts).toEqual(registers.map(() => 1));
}, 120_000);

test('kill -9 of npm start with its built-in simulator: pairings and pending sales survive the restart', async () => {
  const stateDir = await tempDir();
  const first = await started(spawnRelay({ stateDir, env: { POLL_INTERVAL_MS: '500' } }));
  // The banner can arrive in more than one chunk on a busy machine: wait for its line.
  let origin: string | undefined;
  for (let waited = 0; !origin && waited < 10_000; waited += 100) {
    origin = /SmartConnect environment: (https:\/\/127\.0\.0\.1:\d+)\/POS/.exec(first.output())?.[1];
    if (!origin) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(origin).toBeDefined();

  const codes = await Promise.all([0, 1, 2].map(() => sendTls(`${origin}/_device/pairing-codes`, { method: 'POST' })));
  const registers = [0, 1, 2].map(() => newRegister());
  for (const [i, register] of registers.entries()) {
    const code = (JSON.parse(codes[i]!.body) as { pairingCode: string }).pairingCode;
    expect((await pair(first, code, register)).status).toBe(200);
  }
  // The built-in terminal answers after 3 s: kill well before that.
  const sales = await startSales(first, registers);
  await first.crash();

  const second = await started(spawnRelay({ stateDir, env: { POLL_INTERVAL_MS: '500' }, port: first.port }));
  const finals = await expectSurvived(second, sales);
  expect(finals.map((f) => f.outcome)).toEqual(sales.map(() => 'APPROVED'));

  // The simulator kept its pairings too: the same registers can sell again after the restart.
  const again = await startSales(second, registers);
  expect(again.map((s) => s.id).filter((id) => sales.some((old) => old.id === id))).toEqual([]);
}, 120_000);
