import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startLocalRelay, type LocalRelay } from '../../local/local-relay.ts';
import { expectProblem, pairRequest } from '../support/relay-client.ts';
import { createTransaction, getTransaction, listTransactions, pairedRegister, smartConnectPolls, smartConnectPosts, waitForFinal } from '../support/transactions.ts';

// A fast terminal and a fast poll loop, so whole transactions finish in well under a second.
let relay: LocalRelay;

beforeAll(async () => {
  relay = await startLocalRelay({
    simulator: { deviceResponseMs: 250, delayedPhaseMs: 600, minPollIntervalMs: 50, tokenTtlMs: 2_500 },
    env: { POLL_INTERVAL_MS: '100', SMARTCONNECT_TIMEOUT_MS: '1500', POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
});
afterAll(() => relay.close());

const purchase = (register: object, amountTotal: number) => ({ transactionType: 'Card.Purchase', ...register, amountTotal });
const postsFor = (register: { posRegisterId: string }) => smartConnectPosts(relay).filter((r) => r.form.POSRegisterID === register.posRegisterId);

describe('create and follow', () => {
  test('answers 202 at once with the relay resource, then the outcome arrives through GET', async () => {
    const register = await pairedRegister(relay);
    const created = await createTransaction(relay, purchase(register, 1250));
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ status: 'PENDING', outcome: null, transactionType: 'Card.Purchase', ...register, request: { amountTotal: 1250 } });
    expect(created.headers.get('location')).toBe(`/transactions/${created.body.id}`);

    const final = await waitForFinal(relay, String(created.body.id));
    expect(final).toMatchObject({ status: 'COMPLETED', outcome: 'APPROVED', message: 'Approved.', result: { amountTotal: 1250, transactionResult: 'OK-ACCEPTED', result: 'OK' } });
    expect((final.result as Record<string, unknown>).authId).toEqual(expect.any(String));
    expect(postsFor(register)).toHaveLength(1);
  });

  test('sends SmartConnect the documented form, always ASYNC', async () => {
    const register = await pairedRegister(relay);
    const saleData = { version: '1.0.0', saleData: { saleId: 's-1', totalAmount: '12.50', totalTax: '1.63' } };
    await createTransaction(relay, { transactionType: 'Card.PurchasePlusCash', ...register, amountTotal: 3000, amountCash: 2000, saleData });
    const [post] = postsFor(register);
    expect(post!.path).toBe('/POS/Transaction');
    expect(post!.headers['content-type']).toBe('application/x-www-form-urlencoded; charset=UTF-8');
    expect(JSON.parse(post!.form.SaleData!)).toEqual(saleData);
    expect({ ...post!.form, SaleData: saleData }).toEqual({
      POSRegisterID: register.posRegisterId,
      POSBusinessName: register.posBusinessName,
      POSVendorName: register.posVendorName,
      TransactionMode: 'ASYNC',
      TransactionType: 'Card.PurchasePlusCash',
      AmountTotal: '3000',
      AmountCash: '2000',
      SaleData: saleData,
    });
  });

  test('never shows the polling URL or its token', async () => {
    const register = await pairedRegister(relay);
    const created = await createTransaction(relay, purchase(register, 500));
    const final = await waitForFinal(relay, String(created.body.id));
    const pollPath = smartConnectPolls(relay).find((p) => p.query.merchantAccessToken)!;
    const token = pollPath.query.merchantAccessToken!;
    for (const text of [JSON.stringify(created.body), JSON.stringify(final)]) {
      expect(text).not.toContain(token);
      expect(text).not.toMatch(/PollingUrl|pollingUrl|merchantAccessToken|\/pos\/transaction\//);
    }
  });
});

describe.each([
  [1200, 'COMPLETED', 'APPROVED', { amountTotal: 1200 }],
  [1251, 'COMPLETED', 'DECLINED', { transactionResult: 'OK-DECLINED', result: 'OK' }],
  [1252, 'COMPLETED', 'CANCELLED', { transactionResult: 'CANCELLED', result: 'CANCELLED' }],
  [1253, 'COMPLETED', 'DEVICE_OFFLINE', { transactionResult: 'CANCELLED', result: 'FAILED-INTERFACE' }],
  [1254, 'COMPLETED', 'UNAVAILABLE', { transactionResult: 'OK-UNAVAILABLE' }],
  [1255, 'COMPLETED', 'FAILED', { transactionResult: 'FAILED' }],
  [1256, 'COMPLETED', 'APPROVED', { amountTotal: 1256 }],
  [1258, 'COMPLETED', 'APPROVED', { amountTotal: 1373, amountTip: 100, amountSurcharge: 15 }],
  [1259, 'COMPLETED', 'UNKNOWN', { transactionResult: 'OK-ACCEPTED', result: 'FAILED' }],
])('amount %i (simulator outcome table)', (amount, status, outcome, result) => {
  test(`ends ${status} / ${outcome} with the terminal's result`, async () => {
    const register = await pairedRegister(relay);
    const created = await createTransaction(relay, purchase(register, amount));
    expect(created.status).toBe(202);
    const final = await waitForFinal(relay, String(created.body.id));
    expect(final).toMatchObject({ status, outcome, result });
    expect(final.message).toEqual(expect.any(String));
    expect(final.completedAt).toEqual(expect.any(String));
  });
});

test('a delayed terminal shows DELAYED before the outcome', async () => {
  const register = await pairedRegister(relay);
  const created = await createTransaction(relay, purchase(register, 4056));
  const final = await waitForFinal(relay, String(created.body.id));
  expect(final.seenStatuses).toEqual(['PENDING', 'DELAYED', 'COMPLETED']);
  expect(final.outcome).toBe('APPROVED');
});

test('a terminal that never answers ends UNKNOWN when the token expires, with guidance', async () => {
  const register = await pairedRegister(relay);
  const created = await createTransaction(relay, purchase(register, 1257));
  const final = await waitForFinal(relay, String(created.body.id), 10_000);
  expect(final).toMatchObject({ status: 'UNKNOWN', outcome: 'UNKNOWN' });
  expect(final.unknownReason).toMatch(/polling token expired/);
  expect(final.message).toMatch(/Check the terminal/);
  expect(postsFor(register)).toHaveLength(1);
});

describe('every SmartConnect transaction type', () => {
  const cases: [string, Record<string, unknown>, Record<string, string>][] = [
    ['Card.Purchase', { amountTotal: 100 }, { AmountTotal: '100' }],
    ['Card.Refund', { amountTotal: 100 }, { AmountTotal: '100' }],
    ['Card.PurchasePlusCash', { amountTotal: 300, amountCash: 100 }, { AmountTotal: '300', AmountCash: '100' }],
    ['Card.CashAdvance', { amountTotal: 2000 }, { AmountTotal: '2000' }],
    ['Card.Authorise', { amountAuth: 5000, transactionReference: 'pre-1' }, { AmountAuth: '5000', TransactionReference: 'pre-1' }],
    ['Card.Finalise', { amountFinal: 4500, transactionReference: 'pre-1' }, { AmountFinal: '4500', TransactionReference: 'pre-1' }],
    ['QR.Merchant.Purchase', { amountTotal: 700 }, { AmountTotal: '700' }],
    ['QR.Consumer.Purchase', { amountTotal: 700 }, { AmountTotal: '700' }],
    ['QR.Refund', { amountTotal: 700 }, { AmountTotal: '700' }],
    ['Acquirer.Logon', {}, {}],
    ['Acquirer.Settlement.Inquiry', { date: '20261127' }, { Date: '20261127' }],
    ['Acquirer.Settlement.Cutover', {}, {}],
    ['Journal.ReprintReceipt', {}, {}],
    ['Journal.GetTransResult', {}, {}],
    ['Terminal.GetStatus', {}, {}],
    ['Terminal.ReadCard', {}, {}],
  ];
  test.each(cases)('%s is relayed and followed to completion', async (transactionType, fields, form) => {
    const register = await pairedRegister(relay);
    const created = await createTransaction(relay, { transactionType, ...register, ...fields });
    expect(created.status).toBe(202);
    const final = await waitForFinal(relay, String(created.body.id));
    expect(final.status).toBe('COMPLETED');
    expect(final.outcome).toBe('APPROVED');
    const [post] = postsFor(register);
    expect(post!.form).toEqual({ POSRegisterID: register.posRegisterId, POSBusinessName: register.posBusinessName, POSVendorName: register.posVendorName, TransactionMode: 'ASYNC', TransactionType: transactionType, ...form });
    if (transactionType === 'Terminal.GetStatus') expect(final.result).toMatchObject({ terminalStatus: 'READY' });
  });
});

describe('bad requests answer 400 and never reach SmartConnect', () => {
  const register = { posRegisterId: 'reg-bad', posBusinessName: 'Test Shop', posVendorName: 'TestPOS' };
  const bad: [string, unknown, string | null, string][] = [
    ['no Idempotency-Key', purchase(register, 100), null, 'Idempotency-Key'],
    ['an Idempotency-Key over 255 characters', purchase(register, 100), 'k'.repeat(256), 'Idempotency-Key'],
    ['an unknown type', { ...register, transactionType: 'Card.Steal', amountTotal: 100 }, 'k-1', 'transactionType'],
    ['a zero amount', purchase(register, 0), 'k-2', 'amountTotal'],
    ['a negative amount', purchase(register, -100), 'k-3', 'amountTotal'],
    ['fractional cents', purchase(register, 12.5), 'k-4', 'amountTotal'],
    ['an amount as a string', { ...purchase(register, 1), amountTotal: '100' }, 'k-5', 'amountTotal'],
    ['an absurd amount', purchase(register, 100_000_000), 'k-6', 'amountTotal'],
    ['a missing amount', { transactionType: 'Card.Refund', ...register }, 'k-7', 'amountTotal'],
    ['cash-out above the total', { transactionType: 'Card.PurchasePlusCash', ...register, amountTotal: 100, amountCash: 200 }, 'k-8', 'amountCash'],
    ['a finalise without its reference', { transactionType: 'Card.Finalise', ...register, amountFinal: 100 }, 'k-9', 'transactionReference'],
    ['an amount on a type that takes none', { transactionType: 'Terminal.GetStatus', ...register, amountTotal: 100 }, 'k-10', 'amountTotal'],
    ['a missing register id', { transactionType: 'Card.Purchase', posBusinessName: 'x', posVendorName: 'y', amountTotal: 1 }, 'k-11', 'posRegisterId'],
    ['saleData without its version', { ...purchase(register, 100), saleData: { saleData: { totalAmount: '1', totalTax: '0' } } }, 'k-12', 'saleData.version'],
  ];
  test.each(bad)('%s', async (_label, body, key, field) => {
    const before = smartConnectPosts(relay).length;
    const answer = await createTransaction(relay, body, key);
    expectProblem(answer, 400, 'invalid-request');
    expect((answer.body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
    expect(smartConnectPosts(relay).length).toBe(before);
  });
});

describe('idempotency', () => {
  test('the same key and body return the same transaction; SmartConnect is called once', async () => {
    const register = await pairedRegister(relay);
    const key = randomUUID();
    const first = await createTransaction(relay, purchase(register, 900), key);
    const again = await createTransaction(relay, purchase(register, 900), key);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    await waitForFinal(relay, String(first.body.id));
    const later = await createTransaction(relay, purchase(register, 900), key);
    expect(later.body).toMatchObject({ id: first.body.id, status: 'COMPLETED', outcome: 'APPROVED' });
    expect(postsFor(register)).toHaveLength(1);
  });

  test('ten concurrent duplicates create one transaction and one SmartConnect POST', async () => {
    const register = await pairedRegister(relay);
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 10 }, () => createTransaction(relay, purchase(register, 901), key)));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
    expect(postsFor(register)).toHaveLength(1);
  });

  test('the same key with a different body is 422 naming the transaction; nothing is sent', async () => {
    const register = await pairedRegister(relay);
    const key = randomUUID();
    const first = await createTransaction(relay, purchase(register, 902), key);
    const other = await createTransaction(relay, purchase(register, 903), key);
    expectProblem(other, 422, 'idempotency-key-reused');
    expect(other.body.transactionId).toBe(first.body.id);
    expect(postsFor(register)).toHaveLength(1);
  });

  test('keys are per register-independent: the same key on another body and register still conflicts', async () => {
    const a = await pairedRegister(relay);
    const b = await pairedRegister(relay);
    const key = randomUUID();
    await createTransaction(relay, purchase(a, 100), key);
    expectProblem(await createTransaction(relay, purchase(b, 100), key), 422, 'idempotency-key-reused');
  });
});

describe('one transaction per register at a time', () => {
  test('a second create while one is pending is 409 with the pending id, and nothing is sent', async () => {
    const register = await pairedRegister(relay);
    const first = await createTransaction(relay, purchase(register, 1257));
    const second = await createTransaction(relay, purchase(register, 100));
    expectProblem(second, 409, 'register-busy');
    expect(second.body.pendingTransactionId).toBe(first.body.id);
    expect(second.headers.get('retry-after')).toBe('3');
    expect(postsFor(register)).toHaveLength(1);
  });

  test('once the first is final, the register takes the next', async () => {
    const register = await pairedRegister(relay);
    const first = await createTransaction(relay, purchase(register, 100));
    await waitForFinal(relay, String(first.body.id));
    const second = await createTransaction(relay, purchase(register, 200));
    expect(second.status).toBe(202);
  });

  test('other registers are not blocked', async () => {
    const a = await pairedRegister(relay);
    const b = await pairedRegister(relay);
    await createTransaction(relay, purchase(a, 1257));
    expect((await createTransaction(relay, purchase(b, 100))).status).toBe(202);
  });
});

describe('SmartConnect refusals and faults on create', () => {
  test('an unpaired register: SmartConnect 400 passes through; the key keeps that answer, a new key sends again', async () => {
    const register = { posRegisterId: `reg-${randomUUID()}`, posBusinessName: 'Test Shop', posVendorName: 'TestPOS' };
    const key = randomUUID();
    const refused = await createTransaction(relay, purchase(register, 100), key);
    expectProblem(refused, 400, 'smartconnect-rejected');
    expect(refused.body.detail).toBe('This register is not paired to a device, please pair it first.');
    expect(refused.body).toMatchObject({ charged: false, retryWithNewIdempotencyKey: true });
    expect(refused.headers.get('idempotent-replayed')).toBeNull();
    // Pair it the way the POS would. The same key still answers the refusal, and sends nothing.
    const code = relay.simulator!.issuePairingCode();
    expect((await pairRequest(relay, code, { ...register, posRegisterName: 'Till' })).status).toBe(200);
    const replayed = await createTransaction(relay, purchase(register, 100), key);
    expect(replayed.status).toBe(400);
    expect(replayed.body).toEqual(refused.body);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(postsFor(register)).toHaveLength(1);
    const retried = await createTransaction(relay, purchase(register, 100), randomUUID());
    expect(retried.status).toBe(202);
    expect(postsFor(register)).toHaveLength(2);
  });

  test('a busy terminal: SmartConnect 429 passes through', async () => {
    const register = await pairedRegister(relay);
    const answer = await createTransaction(relay, purchase(register, 1261));
    expectProblem(answer, 429, 'smartconnect-rejected');
    expect(answer.body.detail).toBe('device is busy');
  });

  test('a 502 after SmartConnect may have acted: UNKNOWN, never resent, same answer on replay', async () => {
    const register = await pairedRegister(relay);
    const key = randomUUID();
    const answer = await createTransaction(relay, purchase(register, 1260), key);
    expectProblem(answer, 502, 'outcome-unknown');
    expect(answer.body.transaction).toMatchObject({ status: 'UNKNOWN', outcome: 'UNKNOWN' });
    expect(String(answer.body.detail)).toMatch(/will not send it again.*Check the terminal/s);
    const replay = await createTransaction(relay, purchase(register, 1260), key);
    expect(replay.body).toMatchObject({ id: answer.body.transactionId, status: 'UNKNOWN' });
    const stored = await getTransaction(relay, String(answer.body.transactionId));
    expect(stored.body).toMatchObject({ status: 'UNKNOWN', outcome: 'UNKNOWN' });
    expect(postsFor(register)).toHaveLength(1);
  });

  test.each([
    ['a reset after sending', { kind: 'reset' } as const],
    ['no answer in time', { kind: 'hang' } as const],
    ['an answer without a polling URL', { kind: 'status', status: 200, body: '{"transactionStatus":"PENDING"}' } as const],
    ['a redirect', { kind: 'redirect', location: 'https://127.0.0.1:1/POS/Transaction' } as const],
  ])('%s: UNKNOWN, and SmartConnect got exactly one POST', async (_label, fault) => {
    const register = await pairedRegister(relay);
    relay.simulator!.failNext('transaction', fault);
    const answer = await createTransaction(relay, purchase(register, 100));
    expectProblem(answer, 502, 'outcome-unknown');
    expect(postsFor(register)).toHaveLength(1);
  });
});

describe('reading', () => {
  test('an unknown id is 404; a malformed id is 400', async () => {
    expectProblem(await getTransaction(relay, randomUUID()), 404, 'transaction-not-found');
    expectProblem(await getTransaction(relay, 'not-an-id'), 400, 'invalid-request');
  });

  test('a register lists newest first, page by page', async () => {
    const register = await pairedRegister(relay);
    const ids: string[] = [];
    for (const amount of [100, 200, 300]) {
      const created = await createTransaction(relay, purchase(register, amount));
      ids.push(String(created.body.id));
      await waitForFinal(relay, String(created.body.id));
    }
    const list = (query: string) => listTransactions(relay, query);
    const first = await list(`posRegisterId=${register.posRegisterId}&limit=2`);
    expect(first.status).toBe(200);
    expect((first.body.items as { id: string }[]).map((t) => t.id)).toEqual([ids[2], ids[1]]);
    const second = await list(`posRegisterId=${register.posRegisterId}&limit=2&cursor=${first.body.nextCursor}`);
    expect((second.body.items as { id: string }[]).map((t) => t.id)).toEqual([ids[0]]);
    expect(second.body.nextCursor).toBeNull();

    const other = await pairedRegister(relay);
    const forged = await list(`posRegisterId=${other.posRegisterId}&cursor=${first.body.nextCursor}`);
    expect(forged.status).toBe(400);
    expect((await list('limit=2')).status).toBe(400);
    expect((await list(`posRegisterId=${register.posRegisterId}&limit=500`)).status).toBe(400);
  });
});
