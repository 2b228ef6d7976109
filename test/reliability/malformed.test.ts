/**
 * Issue 7, item 5: no request, however malformed, stops `npm start` or drops the connection
 * unanswered. Each class goes raw over a socket, with and without a valid key; each must get a
 * JSON problem (4xx), and the server must still be up with its transactions afterwards.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../local/simulator/index.ts';
import { createFigures } from './support/figures.ts';
import { parseJson, rawExchange, send } from './support/http.ts';
import { malformedClasses } from './support/malformed-requests.ts';
import { create, pairedRegister, purchase, read, transactionId } from './support/relay-calls.ts';
import { spawnRelay, type SpawnedRelay } from './support/spawned-relay.ts';

const figures = createFigures(import.meta.url);
let simulator: Simulator;
let relay: SpawnedRelay;
let stateDir: string;
let pendingId: string;
const crashes: string[] = [];

const start = () => spawnRelay({ smartConnectEnvironment: simulator.baseUrl, stateDir, env: { POLL_INTERVAL_MS: '2000' } });

beforeAll(async () => {
  // The terminal takes its time, so a transaction stays PENDING through the whole file.
  simulator = await startSimulator({ deviceResponseMs: 10 * 60_000 });
  stateDir = await mkdtemp(join(tmpdir(), 'reliability-malformed-'));
  relay = await start();
  const register = await pairedRegister(relay, simulator);
  const created = await create(relay, purchase(register));
  expect(created.status).toBe(202);
  pendingId = transactionId(created)!;
}, 60_000);

// A class that kills the server must not hide the next ones: note it and start again, a few
// times (a start costs seconds), then let the rest fail fast.
const maxRestarts = 4;
let current = '';
const healthy = async () => relay.alive() && (await send(relay.url, { path: '/health' }, 2_000).catch(() => undefined))?.status === 200;
beforeEach(async () => {
  if (await healthy()) return;
  crashes.push(current);
  // Dying or hung: either way it is gone for the next class.
  await relay.crash();
  if (crashes.length <= maxRestarts) relay = await start();
}, 60_000);

afterAll(async () => {
  await relay?.stop();
  await simulator?.close();
  await rm(stateDir, { recursive: true, force: true });
  figures.save();
});

function rawRequest(requestLine: string, extra: readonly string[], body: string | undefined, withKey: boolean): Buffer {
  const lines = [requestLine];
  if (!extra.includes('!no-host')) lines.push(`Host: 127.0.0.1:${relay.port}`);
  if (withKey) lines.push(`Authorization: Bearer ${relay.apiKey}`);
  lines.push(...extra.filter((l) => l !== '!no-host'));
  // A declared length (right or wrong) is part of the class; otherwise frame the body properly.
  if (body !== undefined && !extra.some((l) => /^(content-length|transfer-encoding):/i.test(l))) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  lines.push('Connection: close', '', body ?? '');
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

// Objects, not rows: a row without its optional body would make jest pass `done` as the body.
const cases = malformedClasses.map(([name, requestLine, extra, body]) => ({ name, requestLine, extra, body }));

test.each(cases)('$name: a JSON problem, and the server stays up', async ({ name, requestLine, extra, body }) => {
  current = name;
  expect({ serverUp: relay.alive(), crashedOn: crashes }).toMatchObject({ serverUp: true });
  for (const withKey of [false, true]) {
    const answer = await rawExchange(relay.port, rawRequest(requestLine, extra, body, withKey), 3_000);
    figures.requests += 1;
    if (answer.status >= 500 || answer.status === 0) figures.serverErrors += 1;
    const problem = parseJson(answer.body);
    const verdict = {
      withKey,
      answered: answer.status !== 0,
      clientError: answer.status >= 400 && answer.status < 500,
      jsonProblem: /^application\/(problem\+)?json/.test(answer.contentType) && problem?.status === answer.status,
    };
    const ok = verdict.answered && verdict.clientError && verdict.jsonProblem;
    // The raw answer shows in the diff when this fails.
    expect({ ...verdict, raw: answer.raw.slice(0, 160) }).toEqual({ withKey, answered: true, clientError: true, jsonProblem: true, raw: ok ? answer.raw.slice(0, 160) : 'a JSON 4xx problem' });
    expect(relay.alive()).toBe(true);
  }
  const health = await send(relay.url, { path: '/health' }, 3_000).catch(() => undefined);
  expect(health?.status).toBe(200);
}, 30_000);

test('after every class: no crash, and the pending transaction is still there', async () => {
  current = 'end';
  figures.transactionsLost += (await read(relay, pendingId).catch(() => undefined))?.status === 200 ? 0 : 1;
  expect(crashes).toEqual([]);
  const answer = await read(relay, pendingId);
  expect(answer.status).toBe(200);
  expect(answer.json?.id).toBe(pendingId);
}, 60_000);
