/**
 * The fault matrix: SmartConnect answers 500, hangs, resets, sends garbage or redirects, at the
 * create and at the poll. Whatever happens, a key costs at most one POST (replays included), no
 * redirect is followed, the relay answers JSON without a 500, and the transaction ends final.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startSimulator, type Fault, type Simulator } from '../../local/simulator/index.ts';
import { createFigures } from './support/figures.ts';
import { isJsonType, type Answer } from './support/http.ts';
import { create, pairedRegister, postsFor, purchase, transactionId, waitForFinal } from './support/relay-calls.ts';
import { spawnRelay, type SpawnedRelay } from './support/spawned-relay.ts';

const figures = createFigures(import.meta.url);
let simulator: Simulator;
let relay: SpawnedRelay;
let stateDir: string;

beforeAll(async () => {
  simulator = await startSimulator({ deviceResponseMs: 500, minPollIntervalMs: 0 });
  stateDir = await mkdtemp(join(tmpdir(), 'reliability-faults-'));
  // A short SmartConnect deadline so a hang costs 1.5 s, not 8.
  relay = await spawnRelay({ smartConnectEnvironment: simulator.baseUrl, stateDir, env: { POLL_INTERVAL_MS: '300', SMARTCONNECT_TIMEOUT_MS: '1500' } });
}, 60_000);

afterAll(async () => {
  await relay?.stop();
  await simulator?.close();
  await rm(stateDir, { recursive: true, force: true });
  figures.save();
});

const redirectPath = '/POS/Transaction/redirected-by-fault';
const faults = (): Record<string, Fault> => ({
  '500': { kind: 'status', status: 500 },
  hang: { kind: 'hang' },
  reset: { kind: 'reset' },
  garbage: { kind: 'malformed-json' },
  // Same origin, so a relay that followed it would be seen here.
  redirect: { kind: 'redirect', status: 307, location: `${simulator.origin}${redirectPath}` },
});
const faultNames = ['500', 'hang', 'reset', 'garbage', 'redirect'] as const;

function account(answers: readonly Answer[]): void {
  figures.requests += answers.length;
  // Faults make 502/504 the honest answer; a 500 or a non-JSON answer is the relay's own failure.
  figures.serverErrors += answers.filter((a) => a.status === 500 || !isJsonType(a.headers)).length;
}

const shape = (answer: Answer) => ({ status: answer.status, json: isJsonType(answer.headers) && answer.json !== undefined, code: answer.json?.code });

describe('at the create', () => {
  test.each(faultNames)('SmartConnect %s: at most one POST for the key, replays send nothing, the transaction ends final', async (name) => {
    const register = await pairedRegister(relay, simulator);
    const key = `fault-create-${name}-${randomUUID()}`;
    const body = purchase(register, 1_000);
    simulator.failNext('transaction', faults()[name]!);
    const first = await create(relay, body, key);
    const replays = [await create(relay, body, key), await create(relay, body, key)];
    account([first, ...replays]);

    const posts = postsFor(simulator, register).length;
    figures.maxUpstreamPostsPerKey = Math.max(figures.maxUpstreamPostsPerKey, posts);
    expect(posts).toBeLessThanOrEqual(1);
    expect(simulator.requests.filter((r) => r.path === redirectPath)).toEqual([]);
    for (const answer of [first, ...replays]) {
      expect(shape(answer)).toMatchObject({ json: true });
      expect(answer.status).not.toBe(500);
    }
    // Replays answer like the first time: the same transaction, or the same refusal.
    expect(replays.map(transactionId)).toEqual([transactionId(first), transactionId(first)]);

    // SmartConnect got the POST, so the relay keeps a record and brings it to a final state.
    const id = transactionId(first);
    expect(id).toBeDefined();
    const final = await waitForFinal(relay, id!, 20_000).catch(() => undefined);
    if (!final) figures.transactionsLost += 1;
    expect(final?.status).toBe('UNKNOWN');
  }, 40_000);
});

describe('at the poll', () => {
  test.each(faultNames)('SmartConnect %s twice while polling: one POST, no redirect followed, the sale still ends APPROVED', async (name) => {
    const register = await pairedRegister(relay, simulator);
    const key = `fault-poll-${name}-${randomUUID()}`;
    const created = await create(relay, purchase(register, 1_000), key);
    expect(created.status).toBe(202);
    simulator.failNext('poll', faults()[name]!, 2);
    const final = await waitForFinal(relay, transactionId(created)!, 30_000).catch(() => undefined);
    const replay = await create(relay, purchase(register, 1_000), key);
    account([created, replay]);

    const posts = postsFor(simulator, register).length;
    figures.maxUpstreamPostsPerKey = Math.max(figures.maxUpstreamPostsPerKey, posts);
    if (!final) figures.transactionsLost += 1;
    expect(posts).toBe(1);
    expect(simulator.requests.filter((r) => r.path === redirectPath)).toEqual([]);
    expect(final).toMatchObject({ status: 'COMPLETED', outcome: 'APPROVED' });
    expect(transactionId(replay)).toBe(transactionId(created));
  }, 40_000);
});
