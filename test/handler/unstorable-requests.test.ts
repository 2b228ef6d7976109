import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startLocalRelay, type LocalRelay } from '../../local/local-relay.ts';
import { expectProblem, pairRequest } from '../support/relay-client.ts';
import { createTransaction, smartConnectPosts } from '../support/transactions.ts';

// Requests that pass the shape checks but hold what DynamoDB or SmartConnect cannot take: each is
// a 400 naming the field, and nothing is stored or sent (never a 500 "check the terminal").
let relay: LocalRelay;

beforeAll(async () => {
  relay = await startLocalRelay({ env: { POWERTOOLS_LOG_LEVEL: 'SILENT' } });
});
afterAll(() => relay.close());

const register = { posRegisterId: 'reg-storable', posBusinessName: 'Test Shop', posVendorName: 'TestPOS' };
/** A purchase whose saleData carries `extra` as raw JSON text (so 1e400 and 17 digits arrive as sent). */
const rawPurchase = (extra: string) =>
  `{"transactionType":"Card.Purchase","posRegisterId":"${register.posRegisterId}","posBusinessName":"Test Shop","posVendorName":"TestPOS","amountTotal":100,` +
  `"saleData":{"version":"1.0.0","saleData":{"totalAmount":"1.00","totalTax":"0.00",${extra}}}}`;
const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

describe('POST /transactions', () => {
  test.each([
    ['a number that overflows (1e400)', rawPurchase('"weight":1e400'), 'saleData.saleData.weight'],
    ['a 17-digit whole number', rawPurchase('"weight":12345678901234567'), 'saleData.saleData.weight'],
    ['a number too small to store', rawPurchase('"weight":1e-200'), 'saleData.saleData.weight'],
    ['40 levels of nesting', rawPurchase(`"deep":${nested(40)}`), 'saleData.saleData.deep'],
    ['a lone surrogate in saleData', rawPurchase('"note":"\\ud800"'), 'saleData.saleData.note'],
    ['a bidi override in the business name', JSON.stringify({ transactionType: 'Card.Purchase', ...register, posBusinessName: 'Shop\u202E', amountTotal: 1 }), 'posBusinessName'],
    ['a zero-width-only register id', JSON.stringify({ transactionType: 'Card.Purchase', ...register, posRegisterId: '\u200B\u200B', amountTotal: 1 }), 'posRegisterId'],
    ['a line separator in the vendor name', JSON.stringify({ transactionType: 'Card.Purchase', ...register, posVendorName: 'Test\u2028POS', amountTotal: 1 }), 'posVendorName'],
  ])('%s: 400 naming the field, nothing sent', async (_label, body, field) => {
    const before = smartConnectPosts(relay).length;
    const answer = await createTransaction(relay, body);
    expectProblem(answer, 400, 'invalid-request');
    const fields = (answer.body.errors as { field: string }[]).map((e) => e.field);
    expect(fields.some((f) => f === field || f.startsWith(`${field}.`))).toBe(true);
    expect(smartConnectPosts(relay).length).toBe(before);
  });

  test('the same key then works for a storable body: the refused one was never stored', async () => {
    const key = 'storable-retry-1';
    expectProblem(await createTransaction(relay, rawPurchase('"weight":1e400'), key), 400, 'invalid-request');
    const answer = await createTransaction(relay, rawPurchase('"weight":"1e400"'), key);
    // Not paired: SmartConnect's own 400, which proves the request got as far as SmartConnect.
    expectProblem(answer, 400, 'smartconnect-rejected');
  });
});

describe('PUT /pairing/{code}', () => {
  test.each([
    ['a right-to-left override in the register name', { posRegisterName: 'Till\u202E1' }, 'posRegisterName'],
    ['a lone surrogate in the business name', { posBusinessName: 'Shop\uDC00' }, 'posBusinessName'],
    ['an invisible register id', { posRegisterId: '\u2060\uFEFF' }, 'posRegisterId'],
    ['a paragraph separator in the vendor name', { posVendorName: 'Till2Go\u2029' }, 'posVendorName'],
  ])('%s: 400 naming the field, nothing sent', async (_label, change, field) => {
    const before = relay.simulator!.requests.filter((r) => r.route === 'pairing').length;
    const answer = await pairRequest(relay, relay.simulator!.issuePairingCode(), { posRegisterId: 'r-text', posRegisterName: 'Till 1', posBusinessName: 'Shop', posVendorName: 'TestPOS', ...change });
    expectProblem(answer, 400, 'invalid-request');
    expect((answer.body.errors as { field: string }[]).map((e) => e.field)).toEqual([field]);
    expect(relay.simulator!.requests.filter((r) => r.route === 'pairing').length).toBe(before);
  });
});
