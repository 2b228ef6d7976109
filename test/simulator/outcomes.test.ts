import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { json, register, send, startHarness } from './helpers.ts';
import type { Harness, Json } from './helpers.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  await h.pair(register, '7070714000');
});
afterEach(() => h.close());

/** POST, let the terminal answer (3 s on the fake clock), poll once. */
async function complete(fields: Record<string, string>): Promise<Json> {
  const started = await h.start(fields);
  const res = await h.poll(started.data.PollingUrl, 3_000);
  expect(res.status).toBe(200);
  const body = json(res);
  expect(body.transactionStatus).toBe('COMPLETED');
  return body;
}

const receiptLines = (receipt: string): string[] => receipt.split('\n');

describe('the terminal takes deviceResponseMs', () => {
  test('PENDING without results until then, COMPLETED from then on', async () => {
    const started = await h.start({ TransactionType: 'Card.Purchase', AmountTotal: '500' });
    const pending = json(await h.poll(started.data.PollingUrl, 2_999));
    expect(pending.transactionStatus).toBe('PENDING');
    expect(pending.data).toEqual({
      PosVendor: 'Till2Go',
      PosRegisterID: register.POSRegisterID,
      PosBusinessName: 'Toys Shop',
      AmountTotal: '500',
      DeviceID: '7070714000',
      Function: 'Card.Purchase',
      Merchant: '1',
      Company: 'Smartpay',
      RequestId: started.transactionId,
    });
    const done = json(await h.poll(started.data.PollingUrl, 2_000));
    expect(done.transactionStatus).toBe('COMPLETED');
  });

  test('deviceResponseMs is configurable', async () => {
    const fast = await startHarness({ deviceResponseMs: 0 });
    try {
      await fast.pair();
      const started = await fast.start({ TransactionType: 'Card.Purchase', AmountTotal: '500' });
      expect(json(await send(started.data.PollingUrl)).transactionStatus).toBe('COMPLETED');
    } finally {
      await fast.close();
    }
  });
});

describe('amount-driven outcomes (cents of the driving amount)', () => {
  test.each([
    ['00', 'OK-ACCEPTED', 'OK', true],
    ['50', 'OK-ACCEPTED', 'OK', true],
    ['51', 'OK-DECLINED', 'OK', false],
    ['52', 'CANCELLED', 'CANCELLED', false],
    ['53', 'CANCELLED', 'FAILED-INTERFACE', false],
    ['54', 'OK-UNAVAILABLE', 'FAILED', false],
    ['55', 'FAILED', 'FAILED', false],
    ['58', 'OK-ACCEPTED', 'OK', true],
    ['59', 'OK-ACCEPTED', 'FAILED', true],
    ['63', 'OK-ACCEPTED', 'OK', true],
    ['99', 'OK-ACCEPTED', 'OK', true],
  ])('…%s → %s / %s', async (cents, transactionResult, result, approved) => {
    const body = await complete({ TransactionType: 'Card.Purchase', AmountTotal: `12${cents}` });
    expect(body.data.TransactionResult).toBe(transactionResult);
    expect(body.data.Result).toBe(result);
    if (approved) {
      expect(body.data.AuthId).toMatch(/^SIM\d{3}$/);
      expect(body.data).toMatchObject({ CardPan: '....1234', CardType: 'VISA', AccountType: 'CREDIT', AcquirerRef: '000001', TerminalRef: '70714000' });
      expect(body.data.Receipt).toContain('ACCEPTED');
    } else {
      expect(body.data.AuthId).toBeUndefined();
      expect(body.data.AmountTip).toBeUndefined();
      expect(body.data.AmountTotal).toBe(`12${cents}`);
    }
  });

  test('an amount under 100 uses its own two digits', async () => {
    expect((await complete({ TransactionType: 'Card.Purchase', AmountTotal: '51' })).data.TransactionResult).toBe('OK-DECLINED');
  });

  test('approved: the documented superset of fields, all strings', async () => {
    const body = await complete({ TransactionType: 'Card.Purchase', AmountTotal: '500' });
    expect(body.data).toEqual({
      PosVendor: 'Till2Go',
      PosRegisterID: register.POSRegisterID,
      PosBusinessName: 'Toys Shop',
      AmountTotal: '500',
      DeviceID: '7070714000',
      Function: 'Card.Purchase',
      Merchant: '1',
      Company: 'Smartpay',
      RequestId: body.transactionId,
      TransactionResult: 'OK-ACCEPTED',
      Result: 'OK',
      ResultText: 'Transaction accepted',
      AuthId: 'SIM001',
      AcquirerRef: '000001',
      TerminalRef: '70714000',
      CardPan: '....1234',
      CardType: 'VISA',
      AccountType: 'CREDIT',
      AmountTip: '0',
      AmountSurcharge: '0',
      Timestamp: '20260301130003', // 00:00:03 UTC is 13:00:03 NZDT on the terminal
      Receipt: expect.any(String),
      RequestTimestamp: '202603010000000000',
      ResponseTimestamp: '202603010000030000',
    });
    expect(body.RecordExpiry).toBe('2026-08-28T00:00:00.000Z'); // 180 days after the POST
    expect(body.merchantAccessToken).toBeUndefined();
  });

  test('declined: card read, no AuthId, receipt says DECLINED', async () => {
    const body = await complete({ TransactionType: 'Card.Purchase', AmountTotal: '1051' });
    expect(body.data).toMatchObject({ CardPan: '....1234', AcquirerRef: '000001', AmountTotal: '1051' });
    expect(body.data.Receipt).toContain('DECLINED');
    expect(body.data.Receipt).not.toContain('AUTH ');
  });

  test('terminal offline: nothing from the terminal', async () => {
    const body = await complete({ TransactionType: 'Card.Purchase', AmountTotal: '1053' });
    expect(body.data.TerminalRef).toBeUndefined();
    expect(body.data.Receipt).toBeUndefined();
    expect(body.data.CardPan).toBeUndefined();
  });

  test('58: tip 100 and surcharge 15 added on the terminal, AmountTotal includes both', async () => {
    const body = await complete({ TransactionType: 'Card.Purchase', AmountTotal: '558' });
    expect(body.data).toMatchObject({ AmountTotal: '673', AmountTip: '100', AmountSurcharge: '15' });
    const lines = receiptLines(body.data.Receipt);
    expect(lines).toContain('PURCHASE              NZ$ 5.58');
    expect(lines).toContain('SURCHARGE             NZ$ 0.15');
    expect(lines).toContain('TIP                   NZ$ 1.00');
    expect(lines).toContain('TOTAL                 NZ$ 6.73');
  });

  test('59: contradictory OK-ACCEPTED with Result FAILED still carries the approval details', async () => {
    const body = await complete({ TransactionType: 'Card.Purchase', AmountTotal: '559' });
    expect(body.data).toMatchObject({ TransactionResult: 'OK-ACCEPTED', Result: 'FAILED', AuthId: 'SIM001' });
  });

  test.each([
    ['Card.Authorise', { AmountAuth: '2051' }],
    ['Card.Finalise', { AmountFinal: '2051', TransactionReference: 'preauth-1' }],
    ['Card.PurchasePlusCash', { AmountTotal: '2051', AmountCash: '1000' }],
    ['Card.Refund', { AmountTotal: '2051' }],
    ['Card.CashAdvance', { AmountTotal: '2051' }],
    ['QR.Merchant.Purchase', { AmountTotal: '2051' }],
    ['QR.Consumer.Purchase', { AmountTotal: '2051' }],
    ['QR.Refund', { AmountTotal: '2051' }],
  ])('%s is driven by its own amount', async (type, amounts) => {
    const body = await complete({ TransactionType: type, ...amounts });
    expect(body.data.TransactionResult).toBe('OK-DECLINED');
    expect(body.data.Function).toBe(type);
  });

  test('Card.Authorise with AmountAuth …58 and a harmless AmountTotal …51: AmountAuth decides', async () => {
    const body = await complete({ TransactionType: 'Card.Authorise', AmountAuth: '1058', AmountTotal: '1051' });
    expect(body.data).toMatchObject({ TransactionResult: 'OK-ACCEPTED', AmountAuth: '1058', AmountTotal: '1173', AmountTip: '100' });
  });

  test('Card.PurchasePlusCash: receipt splits purchase and cash, AmountCash echoed', async () => {
    const body = await complete({ TransactionType: 'Card.PurchasePlusCash', AmountTotal: '1250', AmountCash: '250' });
    expect(body.data).toMatchObject({ AmountTotal: '1250', AmountCash: '250', TransactionResult: 'OK-ACCEPTED' });
    const lines = receiptLines(body.data.Receipt);
    expect(lines).toContain('PURCHASE             NZ$ 10.00');
    expect(lines).toContain('CASH                  NZ$ 2.50');
    expect(lines).toContain('TOTAL                NZ$ 12.50');
  });

  test('QR payments have a wallet, not a PAN', async () => {
    const body = await complete({ TransactionType: 'QR.Merchant.Purchase', AmountTotal: '500' });
    expect(body.data).toMatchObject({ TransactionResult: 'OK-ACCEPTED', CardType: 'WECHAT PAY', AccountType: 'QR' });
    expect(body.data.CardPan).toBeUndefined();
  });

  test('receipts are fixed-width: no line wider than 30 columns', async () => {
    for (const amount of ['500', '1051', '1052', '99999958']) {
      const body = await complete({ TransactionType: 'Card.Purchase', AmountTotal: amount });
      h.clock.advance(1_000);
      for (const line of receiptLines(body.data.Receipt)) expect(line.length).toBeLessThanOrEqual(30);
      expect(body.data.Receipt).toContain('*-----------EFTPOS-----------*');
    }
  });
});

describe('56: delayed', () => {
  test('PENDING, then OK-DELAYED for delayedPhaseMs, then approved; the terminal stays busy meanwhile', async () => {
    const started = await h.start({ TransactionType: 'Card.Purchase', AmountTotal: '556' });
    const url = started.data.PollingUrl;
    expect(json(await h.poll(url, 1_000)).data.TransactionResult).toBeUndefined();

    const delayed = json(await h.poll(url, 2_000)); // t = 3 s
    expect(delayed.transactionStatus).toBe('PENDING');
    expect(delayed.data).toMatchObject({
      TransactionResult: 'OK-DELAYED',
      Result: 'DELAYED-TRANSACTION',
      ResultText: 'Transaction takes longer than usual',
      RequestId: started.transactionId,
    });
    expect((await h.post({ TransactionType: 'Card.Purchase', AmountTotal: '500' })).status).toBe(429);

    const stillDelayed = json(await h.poll(url, 9_999)); // t = 12.999 s
    expect(stillDelayed.data.TransactionResult).toBe('OK-DELAYED');

    const done = json(await h.poll(url, 2_000)); // t ≥ 13 s
    expect(done.transactionStatus).toBe('COMPLETED');
    expect(done.data).toMatchObject({ TransactionResult: 'OK-ACCEPTED', Result: 'OK', ResponseTimestamp: '202603010000130000' });
    expect((await h.post({ TransactionType: 'Card.Purchase', AmountTotal: '500' })).status).toBe(200);
  });

  test('delayedPhaseMs is configurable', async () => {
    const quick = await startHarness({ delayedPhaseMs: 500 });
    try {
      await quick.pair();
      const started = await quick.start({ TransactionType: 'Card.Purchase', AmountTotal: '556' });
      expect(json(await quick.poll(started.data.PollingUrl, 3_499)).data.TransactionResult).toBe('OK-DELAYED');
      expect(json(await quick.poll(started.data.PollingUrl, 2_000)).transactionStatus).toBe('COMPLETED');
    } finally {
      await quick.close();
    }
  });
});

describe('57: the terminal never answers', () => {
  test('PENDING until the token expires, then 401 Token expired; the terminal is free after that', async () => {
    const started = await h.start({ TransactionType: 'Card.Purchase', AmountTotal: '557' });
    const late = json(await h.poll(started.data.PollingUrl, 15 * 60_000));
    expect(late.transactionStatus).toBe('PENDING');
    expect(late.data.TransactionResult).toBeUndefined();
    expect((await h.post({ TransactionType: 'Card.Purchase', AmountTotal: '500' })).status).toBe(429);

    const expired = await h.poll(started.data.PollingUrl, 1);
    expect(expired.status).toBe(401);
    expect(json(expired)).toEqual({ error: 'Token expired' });
    expect((await h.post({ TransactionType: 'Card.Purchase', AmountTotal: '500' })).status).toBe(200);
  });
});

describe('60: accepted, but the answer is lost', () => {
  test('502 with no body, yet the transaction runs to approval on the terminal', async () => {
    const res = await h.post({ TransactionType: 'Card.Purchase', AmountTotal: '860' });
    expect(res.status).toBe(502);
    expect(res.body).toBe('');
    expect(res.headers['access-control-allow-origin']).toBe('*');

    expect((await h.post({ TransactionType: 'Card.Purchase', AmountTotal: '500' })).status).toBe(429);
    h.clock.advance(3_000);
    const journal = await complete({ TransactionType: 'Journal.GetTransResult' });
    expect(journal.data).toMatchObject({ TransactionResult: 'OK-ACCEPTED', Result: 'OK', AmountTotal: '860', AcquirerRef: '000001' });
    expect(journal.data.ReferenceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(journal.data.ReferenceId).not.toBe(journal.transactionId);
  });
});

describe('61: device busy', () => {
  test('429 device is busy and nothing is created', async () => {
    const res = await h.post({ TransactionType: 'Card.Purchase', AmountTotal: '861' });
    expect(res.status).toBe(429);
    expect(json(res)).toEqual({ error: 'device is busy' });
    expect((await h.post({ TransactionType: 'Card.Purchase', AmountTotal: '500' })).status).toBe(200);
  });
});

describe('SaleData', () => {
  const saleData = JSON.stringify({ version: '1.0.0', saleData: { saleId: 'sale-42', totalAmount: '5.00', totalTax: '0.65' } });

  test('echoed as the string in the completed result, not while pending', async () => {
    const started = await h.start({ TransactionType: 'Card.Purchase', AmountTotal: '500', SaleData: saleData });
    expect(started.data.SaleData).toBeUndefined();
    const done = json(await h.poll(started.data.PollingUrl, 3_000));
    expect(done.data.SaleData).toBe(saleData);
  });

  test('not echoed by Journal.GetTransResult, which reports the last financial transaction of the terminal', async () => {
    await complete({ TransactionType: 'Card.Purchase', AmountTotal: '1051', SaleData: saleData });
    const journal = await complete({ TransactionType: 'Journal.GetTransResult', SaleData: saleData });
    expect(journal.data.SaleData).toBeUndefined();
    expect(journal.data).toMatchObject({ Function: 'Journal.GetTransResult', TransactionResult: 'OK-DECLINED', AmountTotal: '1051' });
  });
});

describe('non-financial types', () => {
  test('Terminal.GetStatus: Result OK, Status READY, no TransactionResult', async () => {
    const body = await complete({ TransactionType: 'Terminal.GetStatus' });
    expect(body.data).toMatchObject({ Result: 'OK', Status: 'READY', Function: 'Terminal.GetStatus' });
    expect(body.data.TransactionResult).toBeUndefined();
  });

  test.each(['Acquirer.Logon', 'Acquirer.Settlement.Inquiry', 'Acquirer.Settlement.Cutover'])('%s: OK-ACCEPTED / OK with refs and a receipt', async (type) => {
    const body = await complete({ TransactionType: type });
    expect(body.data).toMatchObject({ TransactionResult: 'OK-ACCEPTED', Result: 'OK', AcquirerRef: '000001', TerminalRef: '70714000' });
    expect(body.data.Receipt).toContain('ACCEPTED');
  });

  test('Terminal.ReadCard: OK-ACCEPTED / OK with card details', async () => {
    const body = await complete({ TransactionType: 'Terminal.ReadCard' });
    expect(body.data).toMatchObject({ TransactionResult: 'OK-ACCEPTED', Result: 'OK', CardPan: '....1234' });
  });

  test('Journal.GetTransResult with nothing to report: OK-ACCEPTED / OK, no ReferenceId', async () => {
    const body = await complete({ TransactionType: 'Journal.GetTransResult' });
    expect(body.data).toMatchObject({ TransactionResult: 'OK-ACCEPTED', Result: 'OK' });
    expect(body.data.ReferenceId).toBeUndefined();
  });

  test('Journal.GetTransResult is terminal-scoped: register B sees register A’s sale', async () => {
    const tillB = { ...register, POSRegisterID: 'till-b' };
    await h.pair(tillB, '7070714000');
    const sale = await complete({ TransactionType: 'Card.Purchase', AmountTotal: '558' });
    const started = await h.start({ TransactionType: 'Journal.GetTransResult' }, tillB);
    const journal = json(await h.poll(started.data.PollingUrl, 3_000));
    expect(journal.data).toMatchObject({
      PosRegisterID: 'till-b',
      ReferenceId: sale.transactionId,
      AuthId: sale.data.AuthId,
      AmountTotal: '673',
      Receipt: sale.data.Receipt,
      Timestamp: sale.data.Timestamp,
    });
  });

  test('Journal.ReprintReceipt: the last receipt, marked duplicate', async () => {
    const sale = await complete({ TransactionType: 'Card.Purchase', AmountTotal: '500' });
    const reprint = await complete({ TransactionType: 'Journal.ReprintReceipt' });
    expect(reprint.data).toMatchObject({ TransactionResult: 'OK-ACCEPTED', Result: 'OK' });
    expect(reprint.data.Receipt).toContain('******DUPLICATE  RECEIPT******');
    expect(reprint.data.Receipt.replace('******DUPLICATE  RECEIPT******\n', '')).toBe(sale.data.Receipt);
  });

  test('the TRAN number counts up per terminal', async () => {
    const a = await complete({ TransactionType: 'Card.Purchase', AmountTotal: '500' });
    const b = await complete({ TransactionType: 'Acquirer.Logon' });
    expect([a.data.AcquirerRef, b.data.AcquirerRef]).toEqual(['000001', '000002']);
  });
});
