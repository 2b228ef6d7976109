import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { startLocalRelay, type LocalRelay } from '../../local/local-relay.ts';
import { expectProblem, type RelayAnswer } from '../support/relay-client.ts';
import { createTransaction, pairedRegister, smartConnectPosts } from '../support/transactions.ts';

// Repeated headers reach the handlers as API Gateway passes them (multiValueHeaders), over the wire.
let relay: LocalRelay;

beforeAll(async () => {
  relay = await startLocalRelay({
    simulator: { deviceResponseMs: 200, minPollIntervalMs: 50 },
    env: { POLL_INTERVAL_MS: '100', POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
});
afterAll(() => relay.close());

/** node:http sends an array value as separate header lines, which fetch cannot do. */
function rawPost(path: string, headers: Record<string, string | string[]>, body: string): Promise<RelayAnswer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(`${relay.url}${path}`, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: new Headers(res.headers as Record<string, string>),
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
          elapsedMs: performance.now() - started,
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const purchase = (register: object) => JSON.stringify({ transactionType: 'Card.Purchase', ...register, amountTotal: 1250 });
const auth = () => `Bearer ${relay.apiKey}`;

describe('a relied-on header sent twice or as a list is refused, and nothing is sent', () => {
  test('two Idempotency-Key headers → 400 duplicate-header; the later retry with the first key alone creates once', async () => {
    const register = await pairedRegister(relay);
    const [first, second] = [randomUUID(), randomUUID()];
    const posts = smartConnectPosts(relay).length;
    const answer = await rawPost('/transactions', { 'content-type': 'application/json', authorization: auth(), 'Idempotency-Key': [first, second] }, purchase(register));
    expectProblem(answer, 400, 'duplicate-header');
    expect(answer.body.header).toBe('Idempotency-Key');
    expect(smartConnectPosts(relay).length).toBe(posts);
    expect((await createTransaction(relay, JSON.parse(purchase(register)), first)).status).toBe(202);
    expect(smartConnectPosts(relay).length).toBe(posts + 1);
  });

  test.each([
    ['Idempotency-Key as a list', { 'idempotency-key': `${randomUUID()}, ${randomUUID()}` }, 'Idempotency-Key'],
    ['Content-Type twice', { 'content-type': ['application/json', 'application/json'] }, 'Content-Type'],
    ['x-api-key twice', { 'x-api-key': ['k1k1k1k1k1k1k1k1k1k1k1', 'k2k2k2k2k2k2k2k2k2k2k2'] }, 'x-api-key'],
  ])('%s', async (_, extra, header) => {
    const register = await pairedRegister(relay);
    const posts = smartConnectPosts(relay).length;
    const headers: Record<string, string | string[]> = { 'content-type': 'application/json', authorization: auth(), 'idempotency-key': randomUUID(), ...extra };
    const answer = await rawPost('/transactions', headers, purchase(register));
    expectProblem(answer, 400, 'duplicate-header');
    expect(answer.body.header).toBe(header);
    expect(smartConnectPosts(relay).length).toBe(posts);
  });

  test('a repeated Authorization is refused by the authorizer (401) before any handler runs', async () => {
    const posts = smartConnectPosts(relay).length;
    const register = await pairedRegister(relay);
    for (const authorization of [[auth(), auth()], `${auth()}, ${auth()}`]) {
      const answer = await rawPost('/transactions', { 'content-type': 'application/json', authorization, 'idempotency-key': randomUUID() }, purchase(register));
      expectProblem(answer, 401, 'unauthorized');
    }
    expect(smartConnectPosts(relay).length).toBe(posts);
  });
});

test('JSON nested thousands of levels deep → 400 json-too-deep, not "not valid JSON"', async () => {
  const posts = smartConnectPosts(relay).length;
  for (const depth of [65, 5_000, 30_000]) {
    const body = `{"saleData":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const answer = await rawPost('/transactions', { 'content-type': 'application/json', authorization: auth(), 'idempotency-key': randomUUID() }, body);
    expectProblem(answer, 400, 'json-too-deep');
  }
  expect(smartConnectPosts(relay).length).toBe(posts);
});
