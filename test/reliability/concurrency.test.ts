/**
 * Duplicates at the same moment (issue 7, item 1): 50 creates with one Idempotency-Key while
 * SmartConnect accepts, refuses (400) or is busy (429) give one upstream POST and one answer;
 * then 200 registers pair and charge at once.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../local/simulator/index.ts';
import { createFigures } from './support/figures.ts';
import type { Answer } from './support/http.ts';
import { create, newRegister, pair, pairedRegister, postsFor, purchase, transactionId, waitForFinal, type Register } from './support/relay-calls.ts';
import { reliabilitySeed, seededRandom } from './support/seed.ts';
import { spawnRelay, type SpawnedRelay } from './support/spawned-relay.ts';

const figures = createFigures(import.meta.url);
const random = seededRandom(reliabilitySeed());
let simulator: Simulator;
let relay: SpawnedRelay;
let stateDir: string;

beforeAll(async () => {
  simulator = await startSimulator({ deviceResponseMs: 1_000, minPollIntervalMs: 0 });
  stateDir = await mkdtemp(join(tmpdir(), 'reliability-concurrency-'));
  relay = await spawnRelay({ smartConnectEnvironment: simulator.baseUrl, stateDir, env: { POLL_INTERVAL_MS: '300' } });
}, 60_000);

afterAll(async () => {
  await relay?.stop();
  await simulator?.close();
  await rm(stateDir, { recursive: true, force: true });
  figures.save();
});

const burst = 50;

/** What a POS may compare between two answers: the status and the body without per-request fields. */
const comparable = (answer: Answer) => {
  const { instance: _instance, requestId: _requestId, ...body } = answer.json ?? { notJson: answer.text };
  return { status: answer.status, body };
};

async function sameKeyBurst(register: Register, body: unknown): Promise<Answer[]> {
  const key = `burst-${Math.floor(random() * 1e12)}`;
  const answers = await Promise.all(Array.from({ length: burst }, () => create(relay, body, key)));
  figures.requests += answers.length;
  figures.serverErrors += answers.filter((a) => a.status >= 500).length;
  figures.maxUpstreamPostsPerKey = Math.max(figures.maxUpstreamPostsPerKey, postsFor(simulator, register).length);
  return answers;
}

test(`${burst} same-key creates while SmartConnect accepts: one POST, one transaction`, async () => {
  const register = await pairedRegister(relay, simulator);
  const answers = await sameKeyBurst(register, purchase(register, 1_000));

  expect(postsFor(simulator, register).length).toBe(1);
  expect(answers.filter((a) => a.status >= 300).map(comparable)).toEqual([]);
  const ids = new Set(answers.map(transactionId));
  expect([...ids]).toHaveLength(1);
  const final = await waitForFinal(relay, [...ids][0]!);
  expect(final).toMatchObject({ status: 'COMPLETED', outcome: 'APPROVED' });
}, 60_000);

test(`${burst} same-key creates while SmartConnect refuses (400 not paired): one POST, every answer the same refusal`, async () => {
  const register = newRegister();
  const answers = await sameKeyBurst(register, purchase(register, 1_000));

  expect(postsFor(simulator, register).length).toBe(1);
  expect(answers.filter((a) => a.status >= 500).map(comparable)).toEqual([]);
  const first = comparable(answers[0]!);
  expect(first).toMatchObject({ status: 400, body: { code: 'smartconnect-rejected' } });
  expect(answers.map(comparable).filter((a) => JSON.stringify(a) !== JSON.stringify(first))).toEqual([]);
}, 60_000);

test(`${burst} same-key creates while the terminal is busy (429): one POST, every answer the same refusal`, async () => {
  const register = await pairedRegister(relay, simulator);
  // Cents 61: the simulated SmartConnect answers 429 {"error":"device is busy"} and starts nothing.
  const answers = await sameKeyBurst(register, purchase(register, 1_061));

  expect(postsFor(simulator, register).length).toBe(1);
  expect(answers.filter((a) => a.status >= 500).map(comparable)).toEqual([]);
  const first = comparable(answers[0]!);
  expect(first).toMatchObject({ status: 429, body: { code: 'smartconnect-rejected' } });
  expect(answers.map(comparable).filter((a) => JSON.stringify(a) !== JSON.stringify(first))).toEqual([]);
}, 60_000);

test('200 registers pair at once, then charge at once: one POST each, every sale approved, none lost', async () => {
  const registers = Array.from({ length: 200 }, () => newRegister());
  const paired = await Promise.all(registers.map((register) => pair(relay, simulator.issuePairingCode(), register)));
  figures.requests += paired.length;
  figures.serverErrors += paired.filter((a) => a.status >= 500).length;
  expect(paired.filter((a) => a.status !== 200).map(comparable)).toEqual([]);

  const created = await Promise.all(registers.map((register) => create(relay, purchase(register, 2_000))));
  figures.requests += created.length;
  figures.serverErrors += created.filter((a) => a.status >= 500).length;
  expect(created.filter((a) => a.status !== 202).map(comparable)).toEqual([]);
  const perRegister = registers.map((register) => postsFor(simulator, register).length);
  figures.maxUpstreamPostsPerKey = Math.max(figures.maxUpstreamPostsPerKey, ...perRegister);
  expect(perRegister.filter((n) => n !== 1)).toEqual([]);

  const finals = await Promise.all(created.map((answer) => waitForFinal(relay, transactionId(answer)!, 60_000).catch(() => undefined)));
  figures.requests += finals.length;
  const lost = finals.filter((f) => f === undefined).length;
  figures.transactionsLost += lost;
  expect(lost).toBe(0);
  expect(finals.filter((f) => f?.outcome !== 'APPROVED')).toEqual([]);
}, 120_000);
