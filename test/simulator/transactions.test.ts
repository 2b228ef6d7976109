import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { encodeForm, formHeaders, json, register, send, startHarness } from './helpers.ts';
import type { Harness } from './helpers.ts';

const notPaired = { error: 'This register is not paired to a device, please pair it first.' };

let h: Harness;
let deviceId: string;
beforeEach(async () => {
  h = await startHarness();
  deviceId = await h.pair(register, '7070714000');
});
afterEach(() => h.close());

describe('POST /POS/Transaction: the accepted envelope', () => {
  test('200 PENDING with ids, token and a polling URL on the lowercase /pos path', async () => {
    const res = await h.post({ TransactionType: 'Card.Purchase', AmountTotal: '500' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = json(res);
    expect(Object.keys(body)).toEqual(['transactionId', 'transactionTimeStamp', 'merchantId', 'deviceId', 'transactionStatus', 'data', 'merchantAccessToken']);
    expect(body.transactionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(body.merchantAccessToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.merchantAccessToken).not.toBe(body.transactionId);
    expect(body.transactionTimeStamp).toBe('202603010000000000'); // 2026-03-01T00:00:00.000Z
    expect(body.merchantId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.deviceId).toBe(deviceId);
    expect(body.transactionStatus).toBe('PENDING');
    expect(body.data).toEqual({
      PosVendor: 'Till2Go',
      PosRegisterID: register.POSRegisterID,
      PosBusinessName: 'Toys Shop',
      AmountTotal: '500',
      DeviceID: deviceId,
      Function: 'Card.Purchase',
      PollingUrl: `${h.sim.origin}/pos/transaction/${body.transactionId}?merchantAccessToken=${body.merchantAccessToken}`,
    });
  });

  test('every data value is a string', async () => {
    const body = await h.start({ TransactionType: 'Card.PurchasePlusCash', AmountTotal: '1250', AmountCash: '250' });
    for (const value of Object.values(body.data)) expect(typeof value).toBe('string');
    expect(body.data).toMatchObject({ AmountTotal: '1250', AmountCash: '250' });
  });

  test('ids differ between transactions', async () => {
    const a = await h.start({ TransactionType: 'Terminal.GetStatus' });
    h.clock.advance(3_000);
    const b = await h.start({ TransactionType: 'Terminal.GetStatus' });
    expect(a.transactionId).not.toBe(b.transactionId);
    expect(a.merchantAccessToken).not.toBe(b.merchantAccessToken);
  });
});

describe('POST /POS/Transaction: the register must be paired', () => {
  test.each([
    ['an unknown register id', { POSRegisterID: 'never-paired' }],
    ['another business name', { POSBusinessName: 'Toys Shop Ltd' }],
    ['another vendor name', { POSVendorName: 'till2go' }],
    ['an empty register id', { POSRegisterID: '' }],
  ])('%s → 400 not paired', async (_label, change) => {
    const res = await h.post({ TransactionType: 'Card.Purchase', AmountTotal: '500' }, { ...register, ...change });
    expect(res.status).toBe(400);
    expect(json(res)).toEqual(notPaired);
  });

  test('a missing triple field → 400 not paired', async () => {
    const res = await send(`${h.sim.baseUrl}/Transaction`, {
      method: 'POST',
      headers: formHeaders,
      body: encodeForm({ POSRegisterID: register.POSRegisterID, POSBusinessName: register.POSBusinessName, TransactionMode: 'ASYNC', TransactionType: 'Card.Purchase', AmountTotal: '500' }),
    });
    expect(res.status).toBe(400);
    expect(json(res)).toEqual(notPaired);
  });
});

describe('POST /POS/Transaction: validation', () => {
  const error = async (fields: Record<string, string>): Promise<string> => {
    const res = await send(`${h.sim.baseUrl}/Transaction`, { method: 'POST', headers: formHeaders, body: encodeForm({ ...register, ...fields }) });
    expect(res.status).toBe(400);
    return json(res).error;
  };

  test('TransactionMode missing → legacy synchronous mode is not simulated', async () => {
    expect(await error({ TransactionType: 'Card.Purchase', AmountTotal: '500' })).toMatch(/synchronous mode is not simulated/);
    expect(await error({ TransactionMode: '', TransactionType: 'Card.Purchase', AmountTotal: '500' })).toMatch(/synchronous/);
  });

  test('TransactionMode other than ASYNC → 400', async () => {
    expect(await error({ TransactionMode: 'SYNC', TransactionType: 'Card.Purchase', AmountTotal: '500' })).toMatch(/ASYNC/);
  });

  test('TransactionType missing or unknown → 400', async () => {
    expect(await error({ TransactionMode: 'ASYNC' })).toMatch(/TransactionType is required/);
    expect(await error({ TransactionMode: 'ASYNC', TransactionType: 'Card.Void', AmountTotal: '500' })).toMatch(/Card\.Void.*not supported/);
    expect(await error({ TransactionMode: 'ASYNC', TransactionType: 'card.purchase', AmountTotal: '500' })).toMatch(/not supported/);
  });

  const amountTypes = ['Card.Purchase', 'Card.Refund', 'Card.CashAdvance', 'QR.Merchant.Purchase', 'QR.Consumer.Purchase', 'QR.Refund'];

  test.each(amountTypes)('%s needs AmountTotal as positive integer cents', async (type) => {
    const mode = { TransactionMode: 'ASYNC', TransactionType: type };
    expect(await error(mode)).toBe(`AmountTotal is required for ${type}`);
    for (const bad of ['0', '-500', '5.00', '1e3', '0500', ' 500', 'abc', '1234567890123']) {
      expect(await error({ ...mode, AmountTotal: bad })).toMatch(/AmountTotal must be a positive whole number of cents/);
    }
    const ok = await h.post({ TransactionType: type, AmountTotal: '1' });
    expect(ok.status).toBe(200);
    expect(json(ok).data).toMatchObject({ Function: type, AmountTotal: '1' });
  });

  test('Card.PurchasePlusCash needs 0 < AmountCash ≤ AmountTotal', async () => {
    const mode = { TransactionMode: 'ASYNC', TransactionType: 'Card.PurchasePlusCash' };
    expect(await error({ ...mode, AmountTotal: '1000' })).toBe('AmountCash is required for Card.PurchasePlusCash');
    expect(await error({ ...mode, AmountTotal: '1000', AmountCash: '0' })).toMatch(/AmountCash must be a positive whole number/);
    expect(await error({ ...mode, AmountTotal: '1000', AmountCash: '1001' })).toMatch(/AmountCash must not exceed AmountTotal/);
    expect(await error({ ...mode, AmountCash: '100' })).toBe('AmountTotal is required for Card.PurchasePlusCash');
    expect((await h.post({ TransactionType: 'Card.PurchasePlusCash', AmountTotal: '1000', AmountCash: '1000' })).status).toBe(200);
  });

  test('Card.Authorise needs AmountAuth (AmountTotal does not do); TransactionReference is optional and echoed', async () => {
    const mode = { TransactionMode: 'ASYNC', TransactionType: 'Card.Authorise' };
    expect(await error({ ...mode, AmountTotal: '1000' })).toBe('AmountAuth is required for Card.Authorise');
    expect(await error({ ...mode, AmountAuth: '10.00' })).toMatch(/AmountAuth must be a positive whole number/);
    const ok = await h.start({ TransactionType: 'Card.Authorise', AmountAuth: '1000', TransactionReference: 'preauth-77' });
    expect(ok.data).toMatchObject({ AmountAuth: '1000', TransactionReference: 'preauth-77' });
    expect(ok.data.AmountTotal).toBeUndefined();
  });

  test('Card.Finalise needs AmountFinal and TransactionReference', async () => {
    const mode = { TransactionMode: 'ASYNC', TransactionType: 'Card.Finalise' };
    expect(await error({ ...mode, TransactionReference: 'preauth-77' })).toBe('AmountFinal is required for Card.Finalise');
    expect(await error({ ...mode, AmountFinal: '900' })).toBe('TransactionReference is required for Card.Finalise');
    expect(await error({ ...mode, AmountFinal: '900', TransactionReference: '' })).toBe('TransactionReference is required for Card.Finalise');
    const ok = await h.start({ TransactionType: 'Card.Finalise', AmountFinal: '900', TransactionReference: 'preauth-77' });
    expect(ok.data).toMatchObject({ AmountFinal: '900', TransactionReference: 'preauth-77', Function: 'Card.Finalise' });
  });

  test.each([
    'Acquirer.Logon',
    'Acquirer.Settlement.Inquiry',
    'Acquirer.Settlement.Cutover',
    'Journal.ReprintReceipt',
    'Journal.GetTransResult',
    'Terminal.GetStatus',
    'Terminal.ReadCard',
  ])('%s needs no amount and ignores one', async (type) => {
    const ok = await h.start({ TransactionType: type, AmountTotal: '999' });
    expect(ok.data.Function).toBe(type);
    expect(ok.data.AmountTotal).toBeUndefined();
  });

  test('Acquirer.Settlement.Inquiry takes an optional Date and echoes it', async () => {
    const ok = await h.start({ TransactionType: 'Acquirer.Settlement.Inquiry', Date: '20260301' });
    expect(ok.data.Date).toBe('20260301');
  });

  test('SaleData must be a serialized JSON object', async () => {
    const mode = { TransactionMode: 'ASYNC', TransactionType: 'Card.Purchase', AmountTotal: '500' };
    for (const bad of ['not json', '[1,2]', 'null', '"text"', '42', '']) {
      expect(await error({ ...mode, SaleData: bad })).toBe('SaleData must be a serialized JSON object');
    }
    const ok = await h.post({ TransactionType: 'Card.Purchase', AmountTotal: '500', SaleData: '{"version":"1.0.0","saleData":{"totalAmount":"5.00","totalTax":"0.00"}}' });
    expect(ok.status).toBe(200);
  });

  test('a rejected request creates nothing: the terminal stays free', async () => {
    await error({ TransactionMode: 'ASYNC', TransactionType: 'Card.Purchase', AmountTotal: '0' });
    expect((await h.post({ TransactionType: 'Card.Purchase', AmountTotal: '500' })).status).toBe(200);
  });
});

describe('POST /POS/Transaction: one transaction per terminal', () => {
  test('a second POST while the first is PENDING → 429 device is busy; free again once COMPLETED', async () => {
    const first = await h.start({ TransactionType: 'Card.Purchase', AmountTotal: '500' });
    const busy = await h.post({ TransactionType: 'Card.Purchase', AmountTotal: '700' });
    expect(busy.status).toBe(429);
    expect(json(busy)).toEqual({ error: 'device is busy' });
    h.clock.advance(2_999);
    expect((await h.post({ TransactionType: 'Terminal.GetStatus' })).status).toBe(429);
    h.clock.advance(1);
    const second = await h.start({ TransactionType: 'Card.Purchase', AmountTotal: '700' });
    expect(second.transactionId).not.toBe(first.transactionId);
  });

  test('busy is per terminal: another register on the same terminal is refused, one on another terminal is not', async () => {
    const sameTerminal = { ...register, POSRegisterID: 'till-2' };
    const otherTerminal = { ...register, POSRegisterID: 'till-3' };
    await h.pair(sameTerminal, deviceId);
    await h.pair(otherTerminal, '7070719999');
    await h.start({ TransactionType: 'Card.Purchase', AmountTotal: '500' });
    expect((await h.post({ TransactionType: 'Card.Purchase', AmountTotal: '500' }, sameTerminal)).status).toBe(429);
    const other = await h.start({ TransactionType: 'Card.Purchase', AmountTotal: '500' }, otherTerminal);
    expect(other.deviceId).toBe('7070719999');
  });
});
