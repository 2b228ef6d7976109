import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { encodeForm, formHeaders, json, register, send, startHarness } from './helpers.ts';
import type { Harness } from './helpers.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  await h.pair(register);
  h.sim.clearRequests();
});
afterEach(() => h.close());

const purchase = { TransactionType: 'Card.Purchase', AmountTotal: '500' };

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 2 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('status', () => {
  test('answers the status with no body, and creates nothing', async () => {
    h.sim.failNext('transaction', { kind: 'status', status: 503 });
    const res = await h.post(purchase);
    expect(res.status).toBe(503);
    expect(res.body).toBe('');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    // Had it been processed, the terminal would now be busy.
    expect((await h.post(purchase)).status).toBe(200);
  });

  test('body verbatim (JSON content type by default) and extra headers', async () => {
    h.sim.failNext('transaction', { kind: 'status', status: 400, body: '{"error":"Something odd"}', headers: { 'X-Test': 'yes' } });
    const res = await h.post(purchase);
    expect(res.status).toBe(400);
    expect(json(res)).toEqual({ error: 'Something odd' });
    expect(res.headers['x-test']).toBe('yes');

    h.sim.failNext('transaction', { kind: 'status', status: 502, body: '<html>Bad gateway</html>', headers: { 'content-type': 'text/html' } });
    const html = await h.post(purchase);
    expect(html.status).toBe(502);
    expect(html.body).toBe('<html>Bad gateway</html>');
    expect(html.headers['content-type']).toBe('text/html');
  });

  test('a faulted pairing does not use the code up', async () => {
    const code = h.sim.issuePairingCode();
    h.sim.failNext('pairing', { kind: 'status', status: 500 });
    expect((await h.putPairing(code, { ...register, POSRegisterID: 'till-9', POSRegisterName: 'Till 9' })).status).toBe(500);
    expect(h.sim.pairings().some((p) => p.posRegisterId === 'till-9')).toBe(false);
    expect((await h.putPairing(code, { ...register, POSRegisterID: 'till-9', POSRegisterName: 'Till 9' })).status).toBe(200);
  });
});

describe('matching', () => {
  test('times: the next N matching requests, then normal again', async () => {
    h.sim.failNext('transaction', { kind: 'status', status: 504 }, 2);
    expect((await h.post(purchase)).status).toBe(504);
    expect((await h.post(purchase)).status).toBe(504);
    expect((await h.post(purchase)).status).toBe(200);
  });

  test('only the named route: a poll fault leaves the POST alone, and a faulted poll does not count for the rate limit', async () => {
    h.sim.failNext('poll', { kind: 'status', status: 500 });
    const started = await h.start(purchase);
    expect((await send(started.data.PollingUrl)).status).toBe(500);
    expect((await send(started.data.PollingUrl)).status).toBe(200);
  });

  test("'any' takes the next request whatever its route, but never the device console", async () => {
    h.sim.failNext('any', { kind: 'status', status: 418 }, 2);
    expect((await send(`${h.sim.origin}/_device/pairing-codes`, { method: 'POST' })).status).toBe(201);
    expect((await send(`${h.sim.origin}/nowhere`)).status).toBe(418);
    expect((await h.post(purchase)).status).toBe(418);
    expect((await h.post(purchase)).status).toBe(200);
  });

  test('faults queue in the order they were added', async () => {
    h.sim.failNext('transaction', { kind: 'status', status: 500 });
    h.sim.failNext('any', { kind: 'status', status: 503 });
    expect((await h.post(purchase)).status).toBe(500);
    expect((await h.post(purchase)).status).toBe(503);
    expect((await h.post(purchase)).status).toBe(200);
  });

  test('times must be a positive integer', () => {
    expect(() => h.sim.failNext('any', { kind: 'reset' }, 0)).toThrow('times');
  });

  test('faulted requests are recorded too', async () => {
    h.sim.failNext('transaction', { kind: 'status', status: 500 });
    await h.post(purchase);
    expect(h.sim.requests).toHaveLength(1);
    expect(h.sim.requests[0]).toMatchObject({ method: 'POST', route: 'transaction', form: { ...register, TransactionMode: 'ASYNC', ...purchase } });
  });
});

describe('reset', () => {
  test('reads the whole request, then drops the connection unanswered; nothing is created', async () => {
    h.sim.failNext('transaction', { kind: 'reset' });
    await expect(h.post(purchase)).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(h.sim.requests[0]?.rawBody).toBe(encodeForm({ ...register, TransactionMode: 'ASYNC', ...purchase }));
    expect((await h.post(purchase)).status).toBe(200);
  });
});

describe('hang', () => {
  test('never answers, and close() still returns promptly, ending the connection', async () => {
    h.sim.failNext('poll', { kind: 'hang' });
    const started = await h.start(purchase);
    const settled = send(started.data.PollingUrl).then(
      () => 'answered',
      (error: Error) => error.message,
    );
    await until(() => h.sim.requests.some((r) => r.route === 'poll'));
    const race = await Promise.race([settled, new Promise((resolve) => setTimeout(() => resolve('still waiting'), 100))]);
    expect(race).toBe('still waiting');

    const closedAt = Date.now();
    await h.close();
    expect(Date.now() - closedAt).toBeLessThan(1_000);
    expect(await settled).toMatch(/socket hang up|ECONNRESET/);
  });
});

describe('redirect', () => {
  test('307 by default with the Location, not followed, nothing created', async () => {
    h.sim.failNext('transaction', { kind: 'redirect', location: 'https://127.0.0.1:9/POS/Transaction' });
    const res = await h.post(purchase);
    expect(res.status).toBe(307);
    expect(res.headers.location).toBe('https://127.0.0.1:9/POS/Transaction');
    expect(res.body).toBe('');
    expect((await h.post(purchase)).status).toBe(200);
  });

  test('the status can be chosen', async () => {
    h.sim.failNext('poll', { kind: 'redirect', location: '/elsewhere', status: 302 });
    const started = await h.start(purchase);
    const res = await send(started.data.PollingUrl);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/elsewhere');
  });
});

describe('malformed-json', () => {
  test('200 with a JSON content type and a body that does not parse', async () => {
    h.sim.failNext('transaction', { kind: 'malformed-json' });
    const res = await h.post(purchase);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body.length).toBeGreaterThan(0);
    expect(() => JSON.parse(res.body)).toThrow(SyntaxError);
    expect((await h.post(purchase)).status).toBe(200);
  });
});

describe('delay', () => {
  test('waits real time, then behaves normally', async () => {
    h.sim.failNext('pairing', { kind: 'delay', ms: 150 });
    const code = h.sim.issuePairingCode();
    const t0 = performance.now();
    const res = await h.putPairing(code, { ...register, POSRegisterID: 'slow-till', POSRegisterName: 'Slow' });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect(json(res)).toEqual({ result: 'success' });
    expect(h.sim.pairings().some((p) => p.posRegisterId === 'slow-till')).toBe(true);
  });

  test('close() during a delay does not wait for it', async () => {
    h.sim.failNext('transaction', { kind: 'delay', ms: 60_000 });
    const settled = send(`${h.sim.baseUrl}/Transaction`, { method: 'POST', headers: formHeaders, body: encodeForm({ ...register, TransactionMode: 'ASYNC', ...purchase }) }).then(
      () => 'answered',
      () => 'dropped',
    );
    await until(() => h.sim.requests.length === 1);
    const closedAt = Date.now();
    await h.close();
    expect(Date.now() - closedAt).toBeLessThan(1_000);
    expect(await settled).toBe('dropped');
  });
});
