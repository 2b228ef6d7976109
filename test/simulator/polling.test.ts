import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { json, register, send, startHarness } from './helpers.ts';
import type { Harness, Json } from './helpers.ts';

let h: Harness;
let started: Json;
beforeEach(async () => {
  h = await startHarness();
  await h.pair(register);
  started = await h.start({ TransactionType: 'Card.Purchase', AmountTotal: '500' });
});
afterEach(() => h.close());

const pollUrl = (id: string, token?: string): string =>
  `${h.sim.origin}/pos/transaction/${id}${token === undefined ? '' : `?merchantAccessToken=${token}`}`;

describe('GET /pos/transaction/{id}?merchantAccessToken=…', () => {
  test('the polling URL from the POST works as given', async () => {
    const res = await send(started.data.PollingUrl);
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(json(res)).toMatchObject({ transactionId: started.transactionId, transactionStatus: 'PENDING', deviceId: started.deviceId });
  });

  test('the /POS prefix and an upper-case id work too', async () => {
    const res = await send(`${h.sim.baseUrl}/Transaction/${started.transactionId.toUpperCase()}?merchantAccessToken=${started.merchantAccessToken}`);
    expect(res.status).toBe(200);
  });

  test('unknown id → 404 with no body', async () => {
    for (const id of ['0b3a1d6e-1111-2222-3333-444444444444', 'not-a-uuid']) {
      const res = await send(pollUrl(id, started.merchantAccessToken));
      expect(res.status).toBe(404);
      expect(res.body).toBe('');
    }
  });

  test('wrong or missing token → 401 Unauthorized', async () => {
    for (const url of [pollUrl(started.transactionId, 'a4934205-e3fa-47ea-88c3-6f6422a0af72'), pollUrl(started.transactionId), pollUrl(started.transactionId, '')]) {
      const res = await send(url);
      expect(res.status).toBe(401);
      expect(json(res)).toEqual({ error: 'Unauthorized' });
    }
  });

  test('another transaction’s token does not open this one', async () => {
    h.clock.advance(3_000);
    const second = await h.start({ TransactionType: 'Terminal.GetStatus' });
    const res = await send(pollUrl(started.transactionId, second.merchantAccessToken));
    expect(res.status).toBe(401);
    expect(json(res)).toEqual({ error: 'Unauthorized' });
  });
});

describe('token lifetime: tokenTtlMs after the POST', () => {
  test('COMPLETED is re-pollable, identically, until the token expires; then 401 Token expired', async () => {
    const first = json(await h.poll(started.data.PollingUrl, 3_000));
    expect(first.transactionStatus).toBe('COMPLETED');
    const again = json(await h.poll(started.data.PollingUrl, 60_000));
    expect(again).toEqual(first);

    h.clock.t = Date.parse('2026-03-01T00:15:00.000Z'); // exactly 15 min after the POST
    expect(json(await send(started.data.PollingUrl))).toEqual(first);

    const expired = await h.poll(started.data.PollingUrl, 1);
    expect(expired.status).toBe(401);
    expect(json(expired)).toEqual({ error: 'Token expired' });
    expect((await h.poll(started.data.PollingUrl, 60 * 60_000)).status).toBe(401);
  });

  test('tokenTtlMs is configurable', async () => {
    const short = await startHarness({ tokenTtlMs: 5_000 });
    try {
      await short.pair();
      const tx = await short.start({ TransactionType: 'Card.Purchase', AmountTotal: '500' });
      expect((await short.poll(tx.data.PollingUrl, 5_000)).status).toBe(200);
      expect(json(await short.poll(tx.data.PollingUrl, 2_000))).toEqual({ error: 'Token expired' });
    } finally {
      await short.close();
    }
  });

  test('an unknown id is still 404 after expiry, and a wrong token still 401 Unauthorized', async () => {
    h.clock.advance(16 * 60_000);
    expect((await send(pollUrl('0b3a1d6e-1111-2222-3333-444444444444', started.merchantAccessToken))).status).toBe(404);
    expect(json(await send(pollUrl(started.transactionId, 'wrong')))).toEqual({ error: 'Unauthorized' });
  });
});

describe('poll rate limit: minPollIntervalMs per transaction', () => {
  test('the first poll may follow the POST at once; a second within 2 s → 429 with Retry-After: 2', async () => {
    expect((await send(started.data.PollingUrl)).status).toBe(200);
    h.clock.advance(1_999);
    const limited = await send(started.data.PollingUrl);
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('2');
    expect(json(limited)).toEqual({ error: 'Too many requests' });
  });

  test('a rejected poll does not reset the window', async () => {
    expect((await send(started.data.PollingUrl)).status).toBe(200); // t = 0
    h.clock.advance(1_500);
    expect((await send(started.data.PollingUrl)).status).toBe(429); // t = 1.5 s
    h.clock.advance(500);
    expect((await send(started.data.PollingUrl)).status).toBe(200); // t = 2 s: 2 s after the last answered poll
    expect((await send(started.data.PollingUrl)).status).toBe(429);
  });

  test('the window is per transaction', async () => {
    const tillB = { ...register, POSRegisterID: 'till-b' };
    await h.pair(tillB);
    const second = await h.start({ TransactionType: 'Card.Purchase', AmountTotal: '500' }, tillB);
    expect((await send(started.data.PollingUrl)).status).toBe(200);
    expect((await send(second.data.PollingUrl)).status).toBe(200);
  });

  test('minPollIntervalMs is configurable, and Retry-After follows it', async () => {
    const slow = await startHarness({ minPollIntervalMs: 5_000 });
    try {
      await slow.pair();
      const tx = await slow.start({ TransactionType: 'Card.Purchase', AmountTotal: '500' });
      expect((await send(tx.data.PollingUrl)).status).toBe(200);
      const limited = await slow.poll(tx.data.PollingUrl, 4_999);
      expect(limited.status).toBe(429);
      expect(limited.headers['retry-after']).toBe('5');
      expect((await slow.poll(tx.data.PollingUrl, 1)).status).toBe(200);
    } finally {
      await slow.close();
    }
  });
});
