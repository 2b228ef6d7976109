import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startLocalRelay, type LocalRelay } from '../../local/local-relay.ts';
import { authorization, call, expectProblem, pairRequest, validPairing } from '../support/relay-client.ts';
import { createTransaction, pairedRegister, smartConnectPolls, waitForFinal } from '../support/transactions.ts';
import { captureOutput } from '../support/captured-output.ts';

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

// Rate limits, CORS and what reaches the logs, on a relay that logs everything (DEBUG).
let relay: LocalRelay;
const logged: string[] = [];

beforeAll(async () => {
  captureOutput(logged);
  relay = await startLocalRelay({
    simulator: { deviceResponseMs: 200, minPollIntervalMs: 50 },
    env: { POLL_INTERVAL_MS: '100', POWERTOOLS_LOG_LEVEL: 'DEBUG', SMARTCONNECT_TIMEOUT_MS: '1000' },
    rateLimit: { perSecond: 50, burst: 100 },
    corsAllowedOrigins: ['https://pos.example'],
  });
});
afterAll(async () => {
  await relay.close();
  jest.restoreAllMocks();
});

describe('CORS only for configured origins', () => {
  test('a preflight from an allowed origin is answered; from any other origin it is not', async () => {
    const preflight = (origin: string) =>
      fetch(`${relay.url}/transactions`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    const allowed = await preflight('https://pos.example');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://pos.example');
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/Authorization.*Idempotency-Key/);
    const other = await preflight('https://evil.example');
    expect(other.status).toBe(404);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('responses echo an allowed origin only, errors included', async () => {
    const from = (origin: string) => pairRequest(relay, 'abc', validPairing, { origin });
    const allowed = await from('https://pos.example');
    expect(allowed.status).toBe(400);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://pos.example');
    expect(allowed.headers.get('access-control-expose-headers')).toMatch(/Idempotent-Replayed/);
    expect((await from('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('per-tenant rate limit', () => {
  test('over the limit → 429 with Retry-After, other tenants unaffected', async () => {
    const busy = { url: relay.url, apiKey: await relay.addTenant(['BusyPOS']) };
    // Burst 100 + 50/s: 300 at once still overflow on a slow, busy machine.
    const answers = await Promise.all(Array.from({ length: 300 }, () => pairRequest(busy, 'abc')));
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expectProblem(limited[0]!, 429, 'rate-limited');
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await pairRequest(relay, 'abc')).status).toBe(400);
  }, 20_000);
});

test('logs never contain API keys, polling URLs or tokens, or card numbers', async () => {
  // A busy life: pairing, refusals, transactions with card data, an UNKNOWN, a bad key.
  const register = await pairedRegister(relay);
  await pairRequest({ url: relay.url, apiKey: `${relay.apiKey.slice(0, -4)}AAAA` }, '12345678');
  for (const amount of [1200, 1258, 1251]) {
    const created = await createTransaction(relay, { transactionType: 'Card.Purchase', ...register, amountTotal: amount });
    expect([created.status, created.body.code]).toEqual([202, undefined]);
    await waitForFinal(relay, String(created.body.id));
  }
  const unknown = await createTransaction(relay, { transactionType: 'Card.Purchase', ...register, amountTotal: 1260 });
  expect(unknown.status).toBe(502);
  relay.simulator!.failNext('poll', { kind: 'status', status: 503 }, 1);
  const blip = await createTransaction(relay, { transactionType: 'Card.Purchase', ...(await pairedRegister(relay)), amountTotal: 100 });
  await waitForFinal(relay, String(blip.body.id));
  await call(`${relay.url}/transactions/${randomUUID()}`, { headers: authorization(relay) });

  const text = logged.join('');
  expect(text).toMatch(/transaction final/); // the capture works: DEBUG logs are there
  const secret = relay.apiKey.split('_')[2]!;
  const tokens = smartConnectPolls(relay).map((p) => p.query.merchantAccessToken!).filter(Boolean);
  expect(tokens.length).toBeGreaterThan(0);
  expect(text).not.toContain(relay.apiKey);
  expect(text).not.toContain(secret);
  for (const token of new Set(tokens)) expect(text).not.toContain(token);
  expect(text).not.toMatch(/merchantAccessToken|PollingUrl|\/pos\/transaction\//i);
  expect(text).not.toMatch(/Bearer\s+scr_/);
  // No card number: a 13–19 digit run (spaces allowed) that passes the Luhn check.
  const pans = (text.match(/\d(?:[ ]?\d){12,18}/g) ?? []).map((m) => m.replace(/ /g, '')).filter(luhn);
  expect(pans).toEqual([]);
}, 20_000);
