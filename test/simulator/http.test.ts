import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { encodeForm, formHeaders, json, register, send, startHarness } from './helpers.ts';
import type { Harness } from './helpers.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
beforeEach(() => h.sim.clearRequests());

const cors = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, PUT, POST, OPTIONS',
  'access-control-allow-headers': 'Content-Type',
};

describe('addresses', () => {
  test('baseUrl is the origin plus /POS on 127.0.0.1', () => {
    expect(h.sim.origin).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(h.sim.baseUrl).toBe(`${h.sim.origin}/POS`);
  });

  test('a fixed port is honoured', async () => {
    const probe = await startHarness();
    const port = Number(new URL(probe.sim.origin).port);
    await probe.close();
    const fixed = await startHarness({ port });
    try {
      expect(fixed.sim.origin).toBe(`https://127.0.0.1:${port}`);
    } finally {
      await fixed.close();
    }
  });

  test('invalid options are refused', async () => {
    await expect(startHarness({ tokenTtlMs: -1 })).rejects.toThrow('tokenTtlMs');
    await expect(startHarness({ port: 70_000 })).rejects.toThrow('port');
  });
});

describe('routing', () => {
  test.each([
    ['GET', '/POS/Pairing/12345678'],
    ['POST', '/POS/Pairing/12345678'],
    ['DELETE', '/POS/Pairing/12345678'],
    ['GET', '/POS/Transaction'],
    ['PUT', '/POS/Transaction'],
    ['POST', '/pos/transaction/0b3a1d6e-1111-2222-3333-444444444444'],
    ['PUT', '/pos/transaction/0b3a1d6e-1111-2222-3333-444444444444'],
    ['GET', '/POS/Unknown'],
    ['GET', '/'],
    ['POST', '/Transaction'],
    ['PUT', '/POS/Pairing/'],
    ['GET', '/_device/pairing-codes'],
  ])('%s %s → 404 with no body, CORS headers still sent', async (method, path) => {
    const res = await send(`${h.sim.origin}${path}`, { method, headers: formHeaders, body: method === 'GET' ? undefined : 'a=b' });
    expect(res.status).toBe(404);
    expect(res.body).toBe('');
    expect(res.headers['content-type']).toBeUndefined();
    expect(res.headers).toMatchObject(cors);
  });

  test('the /POS prefix and route names match case-insensitively, a trailing slash is tolerated', async () => {
    await h.pair();
    for (const path of ['/pos/transaction', '/POS/Transaction/', '/Pos/TRANSACTION']) {
      const res = await send(`${h.sim.origin}${path}`, {
        method: 'POST',
        headers: formHeaders,
        body: encodeForm({ ...register, TransactionMode: 'ASYNC', TransactionType: 'Terminal.GetStatus' }),
      });
      expect(res.status).toBe(200);
      h.clock.advance(3_000); // let the terminal finish so it is free again
    }
    const code = h.sim.issuePairingCode();
    const paired = await send(`${h.sim.origin}/pos/pairing/${code}/`, {
      method: 'PUT',
      headers: formHeaders,
      body: encodeForm({ ...register, POSRegisterName: 'Till' }),
    });
    expect(json(paired)).toEqual({ result: 'success' });
  });

  test('OPTIONS is a 204 CORS preflight on any path', async () => {
    for (const path of ['/POS/Transaction', '/pos/transaction/abc', '/anything']) {
      const res = await send(`${h.sim.origin}${path}`, { method: 'OPTIONS', headers: { Origin: 'https://pos.example', 'Access-Control-Request-Method': 'POST' } });
      expect(res.status).toBe(204);
      expect(res.body).toBe('');
      expect(res.headers).toMatchObject(cors);
    }
  });

  test('JSON answers carry CORS headers and application/json; charset=utf-8', async () => {
    const res = await h.putPairing('00000000', { ...register, POSRegisterName: 'Till' });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers).toMatchObject(cors);
  });
});

describe('form bodies', () => {
  test.each([
    ['application/json', JSON.stringify({ ...register, POSRegisterName: 'Till' })],
    ['text/plain', 'POSRegisterID=x'],
    [undefined, 'POSRegisterID=x'],
  ])('pairing with content-type %s → 400 error', async (contentType, body) => {
    const code = h.sim.issuePairingCode();
    const res = await send(`${h.sim.baseUrl}/Pairing/${code}`, { method: 'PUT', headers: contentType ? { 'Content-Type': contentType } : {}, body });
    expect(res.status).toBe(400);
    expect(json(res).error).toMatch(/x-www-form-urlencoded/);
    expect(h.sim.pairings()).not.toContainEqual(expect.objectContaining({ posRegisterId: 'x' }));
  });

  test('transaction with a JSON body → 400 error', async () => {
    const res = await send(`${h.sim.baseUrl}/Transaction`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...register, TransactionMode: 'ASYNC', TransactionType: 'Card.Purchase', AmountTotal: '100' }),
    });
    expect(res.status).toBe(400);
    expect(json(res).error).toMatch(/x-www-form-urlencoded/);
  });

  test('form content type is matched without regard to case or charset', async () => {
    const code = h.sim.issuePairingCode();
    const res = await send(`${h.sim.baseUrl}/Pairing/${code}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'Application/X-WWW-Form-Urlencoded;charset=utf-8' },
      body: 'POSRegisterID=form-reg&POSRegisterName=Till+1&POSBusinessName=Caf%C3%A9+%26+Co&POSVendorName=V',
    });
    expect(res.status).toBe(200);
    expect(h.sim.pairings()).toContainEqual(
      expect.objectContaining({ posRegisterId: 'form-reg', posRegisterName: 'Till 1', posBusinessName: 'Café & Co' }),
    );
  });
});

describe('device console', () => {
  test('POST /_device/pairing-codes with no body issues a code for a new 10-digit device', async () => {
    const res = await send(`${h.sim.origin}/_device/pairing-codes`, { method: 'POST' });
    expect(res.status).toBe(201);
    expect(res.headers).toMatchObject(cors);
    const body = json(res);
    expect(body.pairingCode).toMatch(/^\d{8}$/);
    expect(body.deviceId).toMatch(/^\d{10}$/);
    expect(body.expiresAt).toBe(new Date(h.clock.t + 120_000).toISOString());
    const paired = await h.putPairing(body.pairingCode, { ...register, POSRegisterID: 'console-reg', POSRegisterName: 'Till' });
    expect(paired.status).toBe(200);
    expect(h.sim.pairings().find((p) => p.posRegisterId === 'console-reg')?.deviceId).toBe(body.deviceId);
  });

  test('a JSON body can name the device', async () => {
    const res = await send(`${h.sim.origin}/_device/pairing-codes`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"deviceId":"1234567890"}',
    });
    expect(res.status).toBe(201);
    expect(json(res).deviceId).toBe('1234567890');
  });

  test.each(['{"deviceId":"123"}', '{"deviceId":1234567890}', 'not json', '[1]'])('a bad body %s → 400', async (body) => {
    const res = await send(`${h.sim.origin}/_device/pairing-codes`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    expect(res.status).toBe(400);
    expect(typeof json(res).error).toBe('string');
  });

  test('new devices get consecutive ids starting at 7070714000', async () => {
    const fresh = await startHarness();
    try {
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        const res = await send(`${fresh.sim.origin}/_device/pairing-codes`, { method: 'POST' });
        ids.push(json(res).deviceId);
      }
      expect(ids).toEqual(['7070714000', '7070714001']);
      expect(() => fresh.sim.issuePairingCode({ deviceId: '12' })).toThrow('10-digit');
    } finally {
      await fresh.close();
    }
  });
});

describe('request recording', () => {
  test('every request is recorded in order with its route, query, headers and body', async () => {
    const code = h.sim.issuePairingCode();
    await h.putPairing(code, { ...register, POSRegisterName: 'Till' });
    const started = await h.start({ TransactionType: 'Card.Purchase', AmountTotal: '500' });
    await send(started.data.PollingUrl);
    await send(`${h.sim.origin}/_device/pairing-codes`, { method: 'POST' });
    await send(`${h.sim.baseUrl}/Pairing/${code}`, { method: 'GET' });
    await send(`${h.sim.baseUrl}/Transaction`, { method: 'OPTIONS' });

    const recorded = h.sim.requests;
    expect(recorded.map((r) => [r.method, r.route])).toEqual([
      ['PUT', 'pairing'],
      ['POST', 'transaction'],
      ['GET', 'poll'],
      ['POST', 'device'],
      ['GET', 'other'],
      ['OPTIONS', 'other'],
    ]);
    const [pairing, transaction, poll] = recorded;
    expect(pairing?.path).toBe(`/POS/Pairing/${code}`);
    expect(pairing?.form).toEqual({ ...register, POSRegisterName: 'Till' });
    expect(pairing?.headers['content-type']).toBe('application/x-www-form-urlencoded; charset=UTF-8');
    expect(transaction?.rawBody).toBe(encodeForm({ ...register, TransactionMode: 'ASYNC', TransactionType: 'Card.Purchase', AmountTotal: '500' }));
    expect(poll?.path).toBe(`/pos/transaction/${started.transactionId}`);
    expect(poll?.query).toEqual({ merchantAccessToken: started.merchantAccessToken });
    expect(poll?.rawBody).toBe('');
    expect(poll?.form).toEqual({});
  });

  test('clearRequests empties the list', async () => {
    await send(`${h.sim.origin}/nothing`);
    expect(h.sim.requests.length).toBe(1);
    h.sim.clearRequests();
    expect(h.sim.requests.length).toBe(0);
  });
});
