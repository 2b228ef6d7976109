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

// A class that kills the server must not hide the next one: note it and start again.
let current = '';
beforeEach(async () => {
  if (relay.alive()) return;
  crashes.push(current);
  relay = await start();
}, 60_000);

afterAll(async () => {
  await relay?.stop();
  await simulator?.close();
  await rm(stateDir, { recursive: true, force: true });
  figures.save();
});

const big = 'x'.repeat(64 * 1024);

/** [name, request line, extra header lines, body]: what no HTTP client would send, but anyone can. */
const classes: readonly [string, string, string[], string?][] = [
  ['bad percent-encoding in a path parameter', 'GET /transactions/%zz HTTP/1.1', []],
  ['truncated UTF-8 in a path parameter', 'PUT /pairing/%E0%A4%A HTTP/1.1', ['Content-Type: application/json'], '{}'],
  ['an encoded NUL in a path parameter', 'GET /transactions/%00 HTTP/1.1', []],
  ['bad percent-encoding in a query key', 'GET /transactions?%zz=1 HTTP/1.1', []],
  ['bad percent-encoding in a query value', 'GET /transactions?posRegisterId=%E0%A4 HTTP/1.1', []],
  ['__proto__ as a query key', 'GET /transactions?__proto__=1 HTTP/1.1', []],
  ['constructor as a query key', 'GET /transactions?constructor=1 HTTP/1.1', []],
  ['prototype and toString as query keys', 'GET /transactions?prototype=1&toString=2&hasOwnProperty=3 HTTP/1.1', []],
  ['__proto__ as a header name', 'GET /transactions HTTP/1.1', ['__proto__: 1']],
  ['constructor as a header name', 'POST /transactions HTTP/1.1', ['constructor: 1', 'Content-Type: application/json'], '{}'],
  ['prototype and hasOwnProperty as header names', 'GET /health HTTP/1.1', ['prototype: 1', 'hasOwnProperty: 1', 'toString: 1']],
  ['// as the path', 'GET // HTTP/1.1', []],
  ['/// and a route behind it', 'GET ///transactions HTTP/1.1', []],
  ['/.. as the path', 'GET /.. HTTP/1.1', []],
  ['dot segments before a route', 'GET /../transactions/%2e%2e HTTP/1.1', []],
  ['an encoded slash in a path parameter', 'GET /transactions/..%2F..%2Fhealth HTTP/1.1', []],
  ['an absolute-form target', 'GET http://evil.example/transactions HTTP/1.1', []],
  ['an asterisk target', 'OPTIONS * HTTP/1.1', []],
  ['an unknown method', 'BREW /transactions HTTP/1.1', []],
  ['a method in lower case', 'get /health HTTP/1.1', []],
  ['an unsupported HTTP version', 'GET /health HTTP/9.9', []],
  ['no Host header', 'GET /transactions HTTP/1.1', ['!no-host']],
  ['a header line without a colon', 'GET /transactions HTTP/1.1', ['this is not a header']],
  ['a 64 KB header', 'GET /transactions HTTP/1.1', [`X-Big: ${big}`]],
  ['a 64 KB URL', `GET /transactions/${big} HTTP/1.1`, []],
  ['a Content-Length that is not a number', 'POST /transactions HTTP/1.1', ['Content-Type: application/json', 'Content-Length: abc'], '{}'],
  ['Content-Length and Transfer-Encoding together', 'POST /transactions HTTP/1.1', ['Content-Type: application/json', 'Content-Length: 2', 'Transfer-Encoding: chunked'], '2\r\n{}\r\n0\r\n\r\n'],
  ['a broken chunk size', 'PUT /pairing/123 HTTP/1.1', ['Content-Type: application/json', 'Transfer-Encoding: chunked'], 'zz\r\n{}\r\n0\r\n\r\n'],
  ['a body shorter than its Content-Length', 'POST /transactions HTTP/1.1', ['Content-Type: application/json', 'Content-Length: 100'], '{}'],
  ['__proto__ in the JSON body', 'POST /transactions HTTP/1.1', ['Content-Type: application/json', 'Idempotency-Key: proto-1'], '{"__proto__":{"admin":true},"constructor":{"prototype":{}}}'],
  ['bytes that are not HTTP', '\u0000\u0001\u0002\u00ff', []],
];

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

test.each(classes)('%s: a JSON problem, and the server stays up', async (name, requestLine, extra, body) => {
  current = name;
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
    // The raw answer is in the message when this fails.
    expect({ ...verdict, raw: answer.raw.slice(0, 200) }).toEqual({ withKey, answered: true, clientError: true, jsonProblem: true, raw: expect.anything() });
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
