/**
 * Webhooks end to end on the local relay `npm start` runs: endpoints registered through the API,
 * signed events from real transactions on the simulator, a retry after a 500 with the same event
 * id, rotation, and tenant isolation. Receivers are loopback HTTP servers.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { startLocalRelay, type LocalRelay } from '../../local/local-relay.ts';
import { verifyRelaySignature } from '#webhooks/signing.ts';
import { call, expectProblem, type RelayAnswer } from '../support/relay-client.ts';
import { createTransaction, getTransaction, pairedRegister, waitForFinal } from '../support/transactions.ts';
import { captureOutput } from '../support/captured-output.ts';

interface Delivery { readonly headers: IncomingHttpHeaders; readonly body: string; readonly event: Record<string, any>; readonly at: number }

/** A POS's webhook receiver: records every delivery; `answer` picks the status. */
async function startReceiver(answer: (delivery: Delivery, all: readonly Delivery[]) => number = () => 200) {
  const deliveries: Delivery[] = [];
  const server: Server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const delivery = { headers: req.headers, body, event: JSON.parse(body) as Record<string, any>, at: Date.now() };
    deliveries.push(delivery);
    res.writeHead(answer(delivery, deliveries)).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    deliveries,
    forTransaction: (id: string) => deliveries.filter((d) => d.event.data?.transaction?.id === id),
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
type Receiver = Awaited<ReturnType<typeof startReceiver>>;

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let relay: LocalRelay;
const receivers: Receiver[] = [];
const receiver = async (answer?: Parameters<typeof startReceiver>[0]) => {
  const started = await startReceiver(answer);
  receivers.push(started);
  return started;
};

// Everything the relay logs (at DEBUG), to check that no secret ever reaches the logs.
const logged: string[] = [];
/** Every secret the API handed out in this file. */
const secretsSeen: string[] = [];

beforeAll(async () => {
  captureOutput(logged);
  relay = await startLocalRelay({
    simulator: { deviceResponseMs: 250, delayedPhaseMs: 1_200, minPollIntervalMs: 50, tokenTtlMs: 4_000 },
    env: { POLL_INTERVAL_MS: '100', SMARTCONNECT_TIMEOUT_MS: '1500', POWERTOOLS_LOG_LEVEL: 'DEBUG' },
  });
});
afterAll(async () => {
  await relay.close();
  await Promise.all(receivers.map((r) => r.close()));
  jest.restoreAllMocks();
});

const as = (apiKey: string) => ({ authorization: `Bearer ${apiKey}` });
async function register(url: string, apiKey = relay.apiKey, extra: object = {}): Promise<RelayAnswer> {
  const answer = await call(`${relay.url}/webhook-endpoints`, { method: 'POST', headers: { 'content-type': 'application/json', ...as(apiKey) }, body: JSON.stringify({ url, ...extra }) });
  if (typeof answer.body.secret === 'string') secretsSeen.push(answer.body.secret);
  return answer;
}
const list = (apiKey = relay.apiKey) => call(`${relay.url}/webhook-endpoints`, { headers: as(apiKey) });
const remove = async (id: string, apiKey = relay.apiKey) => {
  const response = await fetch(`${relay.url}/webhook-endpoints/${id}`, { method: 'DELETE', headers: as(apiKey) });
  return { status: response.status, text: await response.text() };
};
const purchase = (reg: object, amountTotal: number) => ({ transactionType: 'Card.Purchase', ...reg, amountTotal });

/** One endpoint at a time for the main tenant, so each test sees only its own receiver's deliveries. */
async function withEndpoint(answer?: Parameters<typeof startReceiver>[0], extra: object = {}) {
  const target = await receiver(answer);
  const created = await register(target.url, relay.apiKey, extra);
  expect(created.status).toBe(201);
  return { target, id: String(created.body.id), secret: String(created.body.secret) };
}

describe('webhook endpoints', () => {
  test('register answers 201 with the secret once; list shows no secret; delete removes it', async () => {
    const target = await receiver();
    const created = await register(target.url);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      url: target.url,
      events: ['transaction.completed', 'transaction.unknown', 'transaction.delayed'],
      createdAt: expect.any(String),
      secret: expect.stringMatching(/^whsec_/),
    });
    const listed = await list();
    expect(listed.body.items).toEqual([{ id: created.body.id, url: target.url, events: created.body.events, createdAt: created.body.createdAt }]);
    expect(JSON.stringify(listed.body)).not.toContain('whsec_');
    expect(await remove(String(created.body.id))).toEqual({ status: 204, text: '' });
    expect((await list()).body.items).toEqual([]);
    expectProblem(await call(`${relay.url}/webhook-endpoints/${created.body.id}`, { method: 'DELETE', headers: as(relay.apiKey) }), 404, 'webhook-endpoint-not-found');
  });

  test.each([
    ['https://169.254.169.254/latest/meta-data/'],
    ['http://10.0.0.8/hooks'],
    ['http://example.com/hooks'],
    ['http://[::ffff:169.254.169.254]/'],
    ['ftp://127.0.0.1/'],
  ])('refuses %s with a 400 naming the url', async (url) => {
    const answer = await register(url);
    expectProblem(answer, 400, 'invalid-request');
    expect(answer.body.errors).toEqual([{ field: 'url', message: expect.any(String) }]);
  });

  test('refuses unknown event types and fields', async () => {
    expectProblem(await register('http://127.0.0.1:9/', relay.apiKey, { events: ['transaction.started'] }), 400, 'invalid-request');
    expectProblem(await register('http://127.0.0.1:9/', relay.apiKey, { secret: 'mine' }), 400, 'invalid-request');
  });
});

describe('deliveries from the local relay', () => {
  test('a final outcome arrives as a signed transaction.completed carrying exactly what GET returns', async () => {
    const { target, id, secret } = await withEndpoint();
    const reg = await pairedRegister(relay);
    for (const [amount, outcome] of [[1250, 'APPROVED'], [1251, 'DECLINED'], [1252, 'CANCELLED']] as const) {
      const created = await createTransaction(relay, purchase(reg, amount));
      const transactionId = String(created.body.id);
      await waitForFinal(relay, transactionId);
      const [delivery] = await until('the webhook', () => (target.forTransaction(transactionId).length ? target.forTransaction(transactionId) : undefined));
      const { event, headers, body } = delivery!;
      expect(event).toEqual({ id: expect.stringMatching(/^evt_/), type: 'transaction.completed', createdAt: expect.any(String), data: { transaction: expect.anything() } });
      expect(event.data.transaction).toEqual((await getTransaction(relay, transactionId)).body);
      expect(event.data.transaction).toMatchObject({ status: 'COMPLETED', outcome });
      expect(headers['relay-event-id']).toBe(event.id);
      expect(headers['content-type']).toBe('application/json');
      expect(verifyRelaySignature({ body, header: headers['relay-signature'] as string, secrets: secret })).toBe(true);
      expect(verifyRelaySignature({ body, header: headers['relay-signature'] as string, secrets: 'whsec_wrong' })).toBe(false);
    }
    await remove(id);
  });

  test('after a 500, the same event (same id, same body) arrives again', async () => {
    const { target, id, secret } = await withEndpoint((_d, all) => (all.length === 1 ? 500 : 200));
    const reg = await pairedRegister(relay);
    const created = await createTransaction(relay, purchase(reg, 700));
    const transactionId = String(created.body.id);
    const [first, second] = await until('the retry', () => (target.forTransaction(transactionId).length >= 2 ? target.forTransaction(transactionId) : undefined));
    expect(second!.event.id).toBe(first!.event.id);
    expect(second!.headers['relay-event-id']).toBe(first!.event.id);
    expect(second!.body).toBe(first!.body);
    expect(verifyRelaySignature({ body: second!.body, header: second!.headers['relay-signature'] as string, secrets: secret })).toBe(true);
    // Compressed back-off locally (30 s x 0.01, with jitter: 0.15-0.3 s), far below the 15-30 s deployed.
    expect(second!.at - first!.at).toBeLessThan(5_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(target.forTransaction(transactionId)).toHaveLength(2);
    await remove(id);
  });

  test('a delayed transaction announces transaction.delayed, then transaction.completed; an endpoint gets only the types it asked for', async () => {
    const all = await withEndpoint();
    const finalOnly = await withEndpoint(undefined, { events: ['transaction.completed'] });
    const reg = await pairedRegister(relay);
    const created = await createTransaction(relay, purchase(reg, 1256));
    const transactionId = String(created.body.id);
    await waitForFinal(relay, transactionId);
    const types = await until('both events', () => {
      const seen = all.target.forTransaction(transactionId).map((d) => d.event.type);
      return seen.length >= 2 ? seen : undefined;
    });
    expect(types.sort()).toEqual(['transaction.completed', 'transaction.delayed']);
    await until('the final-only delivery', () => (finalOnly.target.forTransaction(transactionId).length ? true : undefined));
    expect(finalOnly.target.forTransaction(transactionId).map((d) => d.event.type)).toEqual(['transaction.completed']);
    await remove(all.id);
    await remove(finalOnly.id);
  });

  test('an outcome SmartConnect left unclear arrives as transaction.unknown', async () => {
    const { target, id } = await withEndpoint();
    const reg = await pairedRegister(relay);
    const created = await createTransaction(relay, purchase(reg, 1260));
    expect(created.status).toBe(502);
    const transactionId = String(created.body.transactionId);
    const [delivery] = await until('the webhook', () => (target.forTransaction(transactionId).length ? target.forTransaction(transactionId) : undefined));
    expect(delivery!.event).toMatchObject({ type: 'transaction.unknown', data: { transaction: { id: transactionId, status: 'UNKNOWN' } } });
    await remove(id);
  });

  test('after a rotation, deliveries verify with the new secret and, for 24 h, the old one', async () => {
    const { target, id, secret: oldSecret } = await withEndpoint();
    const rotated = await call(`${relay.url}/webhook-endpoints/${id}/rotate-secret`, { method: 'POST', headers: as(relay.apiKey) });
    expect(rotated.status).toBe(200);
    const newSecret = String(rotated.body.secret);
    secretsSeen.push(newSecret);
    expect(newSecret).not.toBe(oldSecret);
    const validUntil = Date.parse(String(rotated.body.previousSecretsValidUntil)) - Date.now();
    expect(validUntil).toBeGreaterThan(23.9 * 3600_000);
    expect(validUntil).toBeLessThanOrEqual(24 * 3600_000);
    const reg = await pairedRegister(relay);
    const transactionId = String((await createTransaction(relay, purchase(reg, 300))).body.id);
    const [delivery] = await until('the webhook', () => (target.forTransaction(transactionId).length ? target.forTransaction(transactionId) : undefined));
    const header = delivery!.headers['relay-signature'] as string;
    expect(header.match(/v1=/g)).toHaveLength(2);
    expect(verifyRelaySignature({ body: delivery!.body, header, secrets: newSecret })).toBe(true);
    expect(verifyRelaySignature({ body: delivery!.body, header, secrets: oldSecret })).toBe(true);
    await remove(id);
  });
});

describe('tenant isolation', () => {
  test("another tenant's endpoint receives nothing of this tenant's transactions, and cannot be seen or deleted by it", async () => {
    const otherKey = await relay.addTenant(['OtherPOS']);
    const theirs = await receiver();
    const theirEndpoint = await register(theirs.url, otherKey);
    expect(theirEndpoint.status).toBe(201);
    const mine = await withEndpoint();

    const reg = await pairedRegister(relay);
    const transactionId = String((await createTransaction(relay, purchase(reg, 900))).body.id);
    await until('my webhook', () => (mine.target.forTransaction(transactionId).length ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(theirs.deliveries).toEqual([]);

    expect((await list()).body.items).toEqual([expect.objectContaining({ id: mine.id })]);
    expectProblem(await call(`${relay.url}/webhook-endpoints/${theirEndpoint.body.id}`, { method: 'DELETE', headers: as(relay.apiKey) }), 404, 'webhook-endpoint-not-found');
    expectProblem(await call(`${relay.url}/webhook-endpoints/${theirEndpoint.body.id}/rotate-secret`, { method: 'POST', headers: as(relay.apiKey) }), 404, 'webhook-endpoint-not-found');
    expect((await list(otherKey)).body.items).toHaveLength(1);
    await remove(mine.id);
  });
});

describe('logs', () => {
  test('never contain an endpoint secret or a signature', () => {
    const all = logged.join('');
    expect(all).toContain('webhook delivered');
    expect(secretsSeen.length).toBeGreaterThan(5);
    for (const secret of secretsSeen) expect(all).not.toContain(secret);
    expect(all).not.toContain('whsec_');
    expect(all).not.toMatch(/v1=[0-9a-f]{64}/);
  });
});
