/**
 * The answers the relay really sends, success and problem alike, match docs/openapi.json: the
 * status is documented for the route, and the body validates against that response's schema.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startLocalRelay, type LocalRelay } from '../../local/local-relay.ts';
import { assertDocumented } from '../support/openapi-validator.ts';
import { authorization } from '../support/relay-client.ts';
import { pairedRegister, waitForFinal } from '../support/transactions.ts';

let relay: LocalRelay;
const seen: string[] = [];

beforeAll(async () => {
  relay = await startLocalRelay({
    simulator: { deviceResponseMs: 250, minPollIntervalMs: 50, tokenTtlMs: 2_500 },
    env: { POLL_INTERVAL_MS: '100', SMARTCONNECT_TIMEOUT_MS: '1500', POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
}, 30_000);
afterAll(() => relay.close(), 20_000);

/** Sends a request and checks its answer against the document; returns status and body. */
async function checked(method: string, path: string, init: { body?: unknown; headers?: Record<string, string>; auth?: boolean } = {}) {
  const response = await fetch(`${relay.url}${path}`, {
    method,
    headers: { ...(init.auth === false ? {} : authorization(relay)), ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
  });
  const text = await response.text();
  const body = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
  const { template, statusKey } = assertDocumented({ method, path, status: response.status, contentType: response.headers.get('content-type'), body: text === '' ? '' : body });
  seen.push(`${method} ${template} ${statusKey}${typeof body.code === 'string' ? ` ${body.code}` : ''}`);
  return { status: response.status, body };
}

const purchase = (register: object, amountTotal: number) => ({ transactionType: 'Card.Purchase', ...register, amountTotal });
const post = (body: unknown, key: string = randomUUID(), headers: Record<string, string> = {}) => checked('POST', '/transactions', { body, headers: { 'idempotency-key': key, ...headers } });

describe('real answers match docs/openapi.json', () => {
  test('health, pairing and its problems', async () => {
    expect((await checked('GET', '/health', { auth: false })).status).toBe(200);
    const register = { posRegisterId: 'oa-1', posRegisterName: 'Till', posBusinessName: 'Shop', posVendorName: 'TestPOS' };
    expect((await checked('PUT', `/pairing/${relay.simulator!.issuePairingCode()}`, { body: register })).status).toBe(200);
    expect((await checked('PUT', '/pairing/12345678', { body: register })).body.code).toBe('smartconnect-rejected');
    expect((await checked('PUT', '/pairing/12345678', { body: { ...register, posRegisterId: '' } })).body.code).toBe('invalid-request');
    expect((await checked('PUT', '/pairing/12345678', { body: '{"posRegisterId":' })).body.code).toBe('malformed-json');
    expect((await checked('PUT', '/pairing/12345678', { body: 'x', headers: { 'content-type': 'text/plain' } })).body.code).toBe('unsupported-media-type');
    expect((await checked('PUT', '/pairing/12345678', { body: { ...register, posVendorName: 'Other' } })).body.code).toBe('vendor-not-allowed');
    expect((await checked('PUT', '/pairing/12345678', { body: register, auth: false })).body.code).toBe('unauthorized');
  }, 30_000);

  test('transactions: created, replayed, followed to every kind of end, listed, and their problems', async () => {
    const register = await pairedRegister(relay);
    const key = randomUUID();
    const created = await post(purchase(register, 1250), key);
    expect(created.status).toBe(202);
    expect((await post(purchase(register, 1250), key)).status).toBe(200);
    expect((await post(purchase(register, 1300), key)).body.code).toBe('idempotency-key-reused');
    expect((await checked('GET', `/transactions/${created.body.id}`)).body.status).toMatch(/PENDING|COMPLETED/);
    await waitForFinal(relay, String(created.body.id));
    expect((await checked('GET', `/transactions/${created.body.id}`)).body).toMatchObject({ status: 'COMPLETED', outcome: 'APPROVED' });

    // A declined one, with its receipt.
    const declined = await post(purchase(register, 1251));
    await waitForFinal(relay, String(declined.body.id));
    expect((await checked('GET', `/transactions/${declined.body.id}`)).body.outcome).toBe('DECLINED');

    // Busy register: a second sale while the first still runs.
    const slow = await post(purchase(register, 1262));
    expect((await post(purchase(register, 100))).body.code).toBe('register-busy');
    const onTerminal = relay.simulator!.deviceConsole('GET', '/_device/state', '');
    const waiting = (JSON.parse(onTerminal!.body) as { transactions: { id: string; waitingForPerson: boolean }[] }).transactions.find((t) => t.waitingForPerson)!;
    relay.simulator!.deviceConsole('POST', `/_device/transactions/${waiting.id}/decision`, '{"verdict":"cancelled"}');
    await waitForFinal(relay, String(slow.body.id));
    expect((await checked('GET', `/transactions/${slow.body.id}`)).body.outcome).toBe('CANCELLED');

    // SmartConnect's own refusals and a lost answer.
    expect((await post(purchase(register, 1261))).body).toMatchObject({ code: 'smartconnect-rejected', status: 429 });
    const lost = await post(purchase(register, 1260));
    expect(lost.body).toMatchObject({ code: 'outcome-unknown', status: 502 });

    expect((await post({ ...purchase(register, 1), amountTotal: 0 })).body.code).toBe('invalid-request');
    expect((await checked('POST', '/transactions', { body: purchase(register, 100) })).body.code).toBe('invalid-request');
    expect((await post({ ...purchase(register, 100), posVendorName: 'Other' })).body.code).toBe('vendor-not-allowed');

    const list = await checked('GET', `/transactions?posRegisterId=${encodeURIComponent(register.posRegisterId)}&limit=2`);
    expect((list.body.items as unknown[]).length).toBe(2);
    expect((await checked('GET', '/transactions?limit=2')).body.code).toBe('invalid-request');
    expect((await checked('GET', `/transactions/${randomUUID()}`)).body.code).toBe('transaction-not-found');
    expect((await checked('GET', '/transactions/not-an-id')).body.code).toBe('invalid-request');
    expect((await checked('GET', `/transactions/${randomUUID()}`, { auth: false })).body.code).toBe('unauthorized');
  }, 30_000);

  test('webhook endpoints: created, listed, rotated, deleted, and their problems', async () => {
    const created = await checked('POST', '/webhook-endpoints', { body: { url: 'http://127.0.0.1:9/hooks', events: ['transaction.completed'] } });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    expect((await checked('GET', '/webhook-endpoints')).body.items).toEqual([expect.objectContaining({ id })]);
    expect((await checked('POST', `/webhook-endpoints/${id}/rotate-secret`)).body.previousSecretsValidUntil).toEqual(expect.any(String));
    expect((await checked('POST', '/webhook-endpoints', { body: { url: 'ftp://example.com/hooks' } })).body.code).toBe('invalid-request');
    expect((await checked('POST', '/webhook-endpoints', { body: { url: 'https://example.com', events: [] } })).body.code).toBe('invalid-request');
    expect((await checked('DELETE', `/webhook-endpoints/${id}`)).status).toBe(204);
    expect((await checked('DELETE', `/webhook-endpoints/${id}`)).body.code).toBe('webhook-endpoint-not-found');
    expect((await checked('POST', `/webhook-endpoints/${randomUUID()}/rotate-secret`)).body.code).toBe('webhook-endpoint-not-found');
    expect((await checked('DELETE', '/webhook-endpoints/not-an-id')).body.code).toBe('invalid-request');
    expect((await checked('GET', '/webhook-endpoints', { auth: false })).body.code).toBe('unauthorized');
  }, 30_000);

  test('those were more than 20 different route, status and problem code answers', () => {
    expect(new Set(seen).size).toBeGreaterThan(20);
  });
});
