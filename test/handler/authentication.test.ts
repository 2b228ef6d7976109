import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { generateApiKey } from '#tenants/api-keys.ts';
import { relayRoutes } from '../../functions/routes.ts';
import { startLocalRelay, type LocalRelay } from '../../local/local-relay.ts';
import { call, expectProblem, pairRequest, validPairing } from '../support/relay-client.ts';
import { createTransaction, getTransaction, listTransactions, pairedRegister, waitForFinal } from '../support/transactions.ts';

// Issue #4 over the local server, which runs the real authorizer in front of the real handlers.
let relay: LocalRelay;

beforeAll(async () => {
  relay = await startLocalRelay({
    simulator: { deviceResponseMs: 200, minPollIntervalMs: 50 },
    env: { POLL_INTERVAL_MS: '100', POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
});
afterAll(() => relay.close());
beforeEach(() => relay.simulator!.clearRequests());

const protectedRoutes = relayRoutes.filter((route) => !route.public);
// What a request made SmartConnect receive: background polls of earlier transactions do not count.
const sentToSmartConnect = () => relay.simulator!.requests.filter((r) => r.route !== 'poll');
const concretePath = (path: string) =>
  path.replace('{pairingCode}', '12345678').replace('{transactionId}', randomUUID()) + (path === '/transactions' ? '?posRegisterId=till-1' : '');

describe('every route but the health check needs a valid API key', () => {
  const revokedKey = async () => {
    const tenant = await relay.tenantStore.createTenant({ name: 'Revoked', posVendorNames: ['Till2Go'] });
    await relay.tenantStore.revokeKey(tenant.issued.keyId);
    return tenant.issued.apiKey;
  };
  const credentials: [string, () => Promise<Record<string, string>>][] = [
    ['no Authorization header', async () => ({})],
    ['an empty header', async () => ({ authorization: '' })],
    ['a Basic credential', async () => ({ authorization: 'Basic dXNlcjpwYXNz' })],
    ['a malformed key', async () => ({ authorization: 'Bearer not-a-relay-key' })],
    ['an unknown key', async () => ({ authorization: `Bearer ${generateApiKey().apiKey}` })],
    ['a known key id with the wrong secret', async () => ({ authorization: `Bearer ${relay.apiKey.slice(0, -4)}AAAA` })],
    ['a revoked key', async () => ({ authorization: `Bearer ${await revokedKey()}` })],
  ];
  const bodies: string[] = [];

  describe.each(protectedRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s', (_name, route) => {
    test.each(credentials)('%s → 401, identical, nothing sent', async (_label, headers) => {
      const answer = await call(`${relay.url}${concretePath(route.path)}`, {
        method: route.method,
        headers: { 'content-type': 'application/json', 'idempotency-key': 'k', ...(await headers()) },
        body: route.method === 'GET' ? undefined : JSON.stringify({ ...validPairing, transactionType: 'Card.Purchase', amountTotal: 100 }),
      });
      expectProblem(answer, 401, 'unauthorized');
      expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="smartconnect-relay"');
      bodies.push(JSON.stringify(answer.body));
      expect(sentToSmartConnect()).toEqual([]);
    });
  });

  test('no refusal says which case it was', () => {
    expect(bodies.length).toBe(protectedRoutes.length * credentials.length);
    expect(new Set(bodies).size).toBe(1);
  });

  test('GET /health is public and says only that it is up', async () => {
    const answer = await call(`${relay.url}/health`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'ok', stage: 'dev' });
  });
});

describe('a tenant may only use its own vendor names', () => {
  test('pairing with another vendor name → 403 naming the allowed ones, nothing sent', async () => {
    const answer = await pairRequest(relay, relay.simulator!.issuePairingCode(), { ...validPairing, posVendorName: 'SomeoneElsePOS' });
    expectProblem(answer, 403, 'vendor-not-allowed');
    expect(answer.body.allowedPosVendorNames).toEqual(['LocalPOS', 'Till2Go', 'TestPOS']);
    expect(sentToSmartConnect()).toEqual([]);
  });

  test('a transaction with another vendor name → 403, nothing sent', async () => {
    const answer = await createTransaction(relay, { transactionType: 'Card.Purchase', posRegisterId: 'r', posBusinessName: 'b', posVendorName: 'SomeoneElsePOS', amountTotal: 100 });
    expectProblem(answer, 403, 'vendor-not-allowed');
    expect(sentToSmartConnect()).toEqual([]);
  });

  test('a bad body is still a 400 before the vendor check', async () => {
    expectProblem(await pairRequest(relay, '12345678', { posVendorName: 'SomeoneElsePOS' }), 400, 'invalid-request');
  });
});

describe('tenants never see or block each other', () => {
  test("another tenant's transaction is 404, its register lists empty, and the same Idempotency-Key is independent", async () => {
    const other = { url: relay.url, apiKey: await relay.addTenant(['OtherPOS']) };
    const mine = await pairedRegister(relay);
    const key = randomUUID();
    const created = await createTransaction(relay, { transactionType: 'Card.Purchase', ...mine, amountTotal: 100 }, key);
    expect(created.status).toBe(202);

    const theirs = await getTransaction(relay, String(created.body.id), { authorization: `Bearer ${other.apiKey}` });
    expectProblem(theirs, 404, 'transaction-not-found');
    const theirList = await listTransactions(relay, `posRegisterId=${mine.posRegisterId}`, { authorization: `Bearer ${other.apiKey}` });
    expect(theirList.body.items).toEqual([]);

    const otherRegister = await pairedRegister({ ...relay, apiKey: other.apiKey } as LocalRelay, 'OtherPOS');
    const sameKey = await createTransaction({ ...relay, apiKey: other.apiKey } as LocalRelay, { transactionType: 'Card.Purchase', ...otherRegister, amountTotal: 100 }, key);
    expect(sameKey.status).toBe(202);
    expect(sameKey.body.id).not.toBe(created.body.id);
    await waitForFinal(relay, String(created.body.id));
  });
});

describe('key rotation and revocation', () => {
  test('a rotated tenant has two working keys until the old one is revoked', async () => {
    const tenant = await relay.tenantStore.createTenant({ name: 'Rotating', posVendorNames: ['Till2Go'] });
    const oldKey = tenant.issued.apiKey;
    const next = await relay.tenantStore.rotateKey(tenant.tenant.tenantId);
    const health = (apiKey: string) => pairRequest({ url: relay.url, apiKey }, 'abc');
    // 400 (bad pairing code) means the key got through authentication.
    expect((await health(oldKey)).status).toBe(400);
    expect((await health(next.apiKey)).status).toBe(400);
    await expect(relay.tenantStore.rotateKey(tenant.tenant.tenantId)).rejects.toThrow(/active/);
    await relay.tenantStore.revokeKey(tenant.issued.keyId);
    expectProblem(await health(oldKey), 401, 'unauthorized');
    expect((await health(next.apiKey)).status).toBe(400);
  });
});

describe('request size', () => {
  test('a body over 64 KB → 413, nothing sent', async () => {
    const answer = await pairRequest(relay, '12345678', { ...validPairing, address: 'x'.repeat(70 * 1024) });
    expectProblem(answer, 413, 'request-too-large');
    expect(sentToSmartConnect()).toEqual([]);
  });
});
