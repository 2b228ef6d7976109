/**
 * End to end against `npm start` as a developer runs it: the typed client, the checkout example,
 * the .http collection, the console lines, the developer pages, CORS and Ctrl+C.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RelayClient, RelayProblemError, verifyWebhookSignature } from '../../client/src/index.ts';
import { checkout, type Register } from '../../examples/checkout.ts';
import { npmStart, type NpmStart } from '../support/npm-start.ts';

const origin = 'https://pos.example.com';
let relay: NpmStart;
let client: RelayClient;
const register: Register = { posRegisterId: `till-${randomUUID().slice(0, 8)}`, posRegisterName: 'E2E Register', posBusinessName: 'Toys Shop', posVendorName: 'LocalPOS' };
const { posRegisterName: _name, ...triple } = register;

beforeAll(async () => {
  relay = await npmStart({ CORS_ALLOWED_ORIGINS: `${origin}, https://other.example.com` });
  client = new RelayClient({ baseUrl: relay.url, apiKey: relay.apiKey, retries: 0 });
}, 30_000);
afterAll(async () => {
  await relay?.stop();
}, 20_000);

const newPairingCode = async () => ((await (await fetch(`${relay.url}/_device/pairing-codes`, { method: 'POST' })).json()) as { pairingCode: string }).pairingCode;

describe('the client against npm start', () => {
  test('pairs with the code npm start printed, sells, and follows the sale to APPROVED; a retry with the kept key is the same sale', async () => {
    expect(relay.pairingCode).toMatch(/^\d{8}$/);
    expect(await client.pair(relay.pairingCode, register)).toMatchObject({ status: 'paired', posRegisterId: register.posRegisterId });

    const request = { transactionType: 'Card.Purchase' as const, ...triple, amountTotal: 1250 };
    const created = await client.createTransaction(request);
    expect(created).toMatchObject({ replayed: false, transaction: { status: 'PENDING', outcome: null } });
    expect(created.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);

    const updates: string[] = [];
    const final = await client.waitForOutcome(created.transaction.id, { intervalMs: 500, timeoutMs: 30_000, onUpdate: (t) => updates.push(t.status) });
    expect(final).toMatchObject({ status: 'COMPLETED', outcome: 'APPROVED', result: { amountTotal: 1250 } });
    expect(updates.at(-1)).toBe('COMPLETED');

    const again = await client.createTransaction(request, { idempotencyKey: created.idempotencyKey });
    expect(again).toMatchObject({ replayed: true, transaction: { id: created.transaction.id, status: 'COMPLETED' } });

    const list = await client.listTransactions({ posRegisterId: register.posRegisterId, limit: 5 });
    expect(list.items.map((t) => t.id)).toContain(created.transaction.id);
    expect(await client.getTransaction(created.transaction.id)).toEqual(final);
  }, 60_000);

  test('problems surface as RelayProblemError with the code', async () => {
    const error = await client.getTransaction(randomUUID()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RelayProblemError);
    expect(error).toMatchObject({ status: 404, code: 'transaction-not-found' });
    const unauthorized = await new RelayClient({ baseUrl: relay.url, apiKey: 'wrong' }).getTransaction(randomUUID()).catch((e: unknown) => e);
    expect(unauthorized).toMatchObject({ status: 401, code: 'unauthorized' });
    const invalid = await client.createTransaction({ transactionType: 'Card.Purchase', ...triple, amountTotal: -1 }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ status: 400, code: 'invalid-request' });
  });

  test('webhook endpoints through the client; the delivery of a sale verifies with verifyWebhookSignature', async () => {
    const deliveries: { body: string; signature: string | undefined; eventId: string | undefined }[] = [];
    const receiver = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      deliveries.push({ body, signature: req.headers['relay-signature'] as string | undefined, eventId: req.headers['relay-event-id'] as string | undefined });
      res.writeHead(200).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
      const endpoint = await client.createWebhookEndpoint({ url, events: ['transaction.completed'] });
      expect(endpoint).toMatchObject({ url, events: ['transaction.completed'], secret: expect.stringMatching(/^whsec_/) });
      expect((await client.listWebhookEndpoints()).items.map((e) => e.id)).toContain(endpoint.id);

      const sale = await client.createTransaction({ transactionType: 'Card.Purchase', ...triple, amountTotal: 1250 });
      await client.waitForOutcome(sale.transaction.id, { intervalMs: 300, timeoutMs: 30_000 });
      const deadline = Date.now() + 10_000;
      let delivery;
      while (!(delivery = deliveries.find((d) => d.body.includes(sale.transaction.id))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(delivery).toBeDefined();
      expect(JSON.parse(delivery!.body)).toMatchObject({ id: delivery!.eventId, type: 'transaction.completed', data: { transaction: { id: sale.transaction.id } } });
      expect(await verifyWebhookSignature(delivery!.body, delivery!.signature, endpoint.secret)).toBe(true);

      const rotated = await client.rotateWebhookSecret(endpoint.id);
      expect(rotated.secret).not.toBe(endpoint.secret);
      expect(await verifyWebhookSignature(delivery!.body, delivery!.signature, rotated.secret)).toBe(false);
      await client.deleteWebhookEndpoint(endpoint.id);
      expect((await client.listWebhookEndpoints()).items.map((e) => e.id)).not.toContain(endpoint.id);
      await expect(client.deleteWebhookEndpoint(endpoint.id)).rejects.toMatchObject({ status: 404, code: 'webhook-endpoint-not-found' });
    } finally {
      await new Promise<void>((resolve) => { receiver.closeAllConnections(); receiver.close(() => resolve()); });
    }
  }, 45_000);

  test('waitForOutcome stops at its deadline with the transaction as last seen', async () => {
    const created = await client.createTransaction({ transactionType: 'Card.Purchase', ...triple, amountTotal: 1262 });
    const started = Date.now();
    const seen = await client.waitForOutcome(created.transaction.id, { intervalMs: 200, timeoutMs: 1_000 });
    expect(seen.status).toBe('PENDING');
    expect(Date.now() - started).toBeLessThan(3_000);
    // Let the terminal go: the page's Decline button does the same.
    await fetch(`${relay.url}/_device/transactions/${await waitingOnTerminal()}/decision`, { method: 'POST', body: JSON.stringify({ verdict: 'declined' }) });
    expect(await client.waitForOutcome(created.transaction.id, { intervalMs: 500, timeoutMs: 20_000 })).toMatchObject({ status: 'COMPLETED', outcome: 'DECLINED' });
  }, 40_000);
});

/** The terminal's own id of the sale waiting on the virtual terminal for this register. */
async function waitingOnTerminal(): Promise<string> {
  for (let i = 0; i < 50; i += 1) {
    const state = (await (await fetch(`${relay.url}/_device/state`)).json()) as { transactions: { id: string; posRegisterId: string; waitingForPerson: boolean }[] };
    const waiting = state.transactions.find((t) => t.posRegisterId === register.posRegisterId && t.waitingForPerson);
    if (waiting) return waiting.id;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no transaction waiting on the virtual terminal');
}

describe('examples', () => {
  test('checkout.ts: paid, not paid, and an UNKNOWN outcome sent to the terminal for checking', async () => {
    const till: Register = { ...register, posRegisterId: `till-${randomUUID().slice(0, 8)}` };
    await client.pair(await newPairingCode(), till);
    const screen: string[] = [];
    expect(await checkout(client, till, 1250, (text) => screen.push(text))).toMatchObject({ kind: 'paid', transaction: { outcome: 'APPROVED' } });
    expect(screen).toContain('Approved.');
    expect(await checkout(client, till, 1251)).toMatchObject({ kind: 'not-paid', transaction: { outcome: 'DECLINED' } });
    // 60 cents: SmartConnect ran the sale but its answer to the POST was lost.
    expect(await checkout(client, till, 1260)).toMatchObject({ kind: 'check-terminal', transactionId: expect.any(String) });
  }, 60_000);

  test('relay.http: every request answers the status its `# expect` line says', async () => {
    const source = readFileSync(new URL('../../examples/relay.http', import.meta.url), 'utf8');
    const variables: Record<string, string> = { baseUrl: relay.url, apiKey: relay.apiKey, pairingCode: await newPairingCode(), vendor: relay.vendor };
    const named: Record<string, Record<string, unknown>> = {};
    const fill = (text: string) =>
      text.replace(/\{\{\s*([^}]+?)\s*\}\}/g, (_, name: string) => {
        if (name === '$guid') return randomUUID();
        const response = /^(\w+)\.response\.body\.(\w+)$/.exec(name);
        const value = response ? named[response[1]!]?.[response[2]!] : variables[name];
        if (value === undefined) throw new Error(`relay.http: no value for {{${name}}}`);
        return String(value);
      });
    const blocks = source.split(/^###.*$/m).slice(1);
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    for (const block of blocks) {
      const lines = block.split('\n');
      const expected = Number(/# expect (\d{3})/.exec(block)?.[1]);
      const name = /# @name (\w+)/.exec(block)?.[1];
      const requestLines = lines.filter((l) => !l.startsWith('#'));
      const start = requestLines.findIndex((l) => l.trim() !== '');
      const [method, url] = fill(requestLines[start]!).split(' ');
      const blank = requestLines.findIndex((l, i) => i > start && l.trim() === '');
      const headerLines = requestLines.slice(start + 1, blank === -1 ? undefined : blank);
      const headers = Object.fromEntries(headerLines.map((l) => fill(l).split(/:\s*/, 2) as [string, string]));
      const body = blank === -1 ? '' : fill(requestLines.slice(blank + 1).join('\n').trim());
      const answer = await fetch(url!, { method, headers, body: body === '' ? undefined : body });
      const json = (await answer.json()) as Record<string, unknown>;
      expect({ request: `${method} ${url}`, status: answer.status }).toEqual({ request: `${method} ${url}`, status: expected });
      if (name) named[name] = json;
    }
  }, 30_000);
});

describe('npm start for a developer', () => {
  test('logs one line per request with time, method, path, status, ms, tenant and request id; a problem shows its code and SmartConnect status; no pairing code', async () => {
    await fetch(`${relay.url}/pairing/99999999`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${relay.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...register, posRegisterId: 'log-test' }),
    });
    const [line] = await relay.waitFor(/^.*PUT\s+\/pairing\/\{pairingCode\}\s+400.*$/m);
    expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3}\s+PUT\s+\/pairing\/\{pairingCode\}\s+400\s+\d+ ms\s+tenant=\S+\s+req=[0-9a-f-]{36}\s+✗ smartconnect-rejected \(SmartConnect 400\): Invalid Pairing Code/);
    expect(relay.output()).not.toContain('99999999');
    // One line, not a stack trace.
    expect(relay.output()).not.toMatch(/^\s+at /m);
  });

  test('serves /openapi.json (pointing at itself), /docs from local files, the virtual terminal and an index', async () => {
    const document = (await (await fetch(`${relay.url}/openapi.json`)).json()) as { openapi: string; servers: { url: string }[] };
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers[0]!.url).toBe(relay.url);
    const docs = await (await fetch(`${relay.url}/docs`)).text();
    expect(docs).toContain('/docs/swagger-ui-bundle.js');
    expect(docs).not.toMatch(/(src|href)="https?:/);
    const bundle = await fetch(`${relay.url}/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toContain('javascript');
    expect((await fetch(`${relay.url}/docs/../package.json`)).status).toBe(404);
    expect(await (await fetch(`${relay.url}/_device`)).text()).toContain('Virtual terminal');
    expect(await (await fetch(`${relay.url}/`)).text()).toContain('href="/_device"');
    expect(relay.output()).toContain(`Virtual terminal: ${relay.url}/_device`);
  });

  test('CORS_ALLOWED_ORIGINS works as on the stages: preflight and answers for listed origins only', async () => {
    const preflight = await fetch(`${relay.url}/transactions`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    const answer = await fetch(`${relay.url}/health`, { headers: { origin } });
    expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
    const stranger = await fetch(`${relay.url}/health`, { headers: { origin: 'https://evil.example.com' } });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('Ctrl+C', () => {
  test('stops with a clean message and exit code 0', async () => {
    const other = await npmStart();
    expect(await other.stop()).toBe(0);
    expect(other.output()).toMatch(/Stopping: letting polls under way finish.*\n.*Stopped\.\n?$/);
    expect(other.output()).not.toMatch(/Error|^\s+at /m);
  }, 30_000);
});
