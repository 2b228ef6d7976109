import { describe, expect, test } from '@jest/globals';
import { wellFormedText } from '#http/validation.ts';
import { pairRegisterBody } from '../../../functions/pair-register/request.ts';
import { transactionRequest } from '#transactions/transaction-request.ts';

const text = wellFormedText(100);

describe('wellFormedText refuses text a terminal or SmartConnect would not show as sent', () => {
  test.each([
    ['a lone high surrogate', 'Shop \uD800'],
    ['a lone low surrogate', '\uDC00Shop'],
    ['a right-to-left override', 'Shop\u202Epots'],
    ['a bidi isolate', '\u2066Shop\u2069'],
    ['a left-to-right mark', 'Shop\u200E'],
    ['a right-to-left mark', '\u200FShop'],
    ['a line separator', 'Shop\u2028Two'],
    ['a paragraph separator', 'Shop\u2029'],
    ['a tab', 'Shop\tTwo'],
    ['a newline', 'Shop\n'],
    ['DEL', 'Shop\u007f'],
    ['only spaces', '   '],
    ['only zero-width characters', '\u200B\u200C\u200D\u2060\uFEFF'],
    ['only no-break and ideographic spaces', '\u00A0\u3000'],
    ['only a Hangul filler', '\u3164'],
    ['empty', ''],
  ])('%s', (_label, value) => {
    expect(text.safeParse(value).success).toBe(false);
  });

  test.each(['Toys Shop', 'Café Zoë', 'Till 2 — front', 'ร้านค้า', 'متجر', '商店 😀', 'a\u200Db'])('accepts %p', (value) => {
    expect(text.safeParse(value).success).toBe(true);
  });
});

test('pairing and transaction bodies use it for names and ids', () => {
  const pairing = { posRegisterId: 'r-1', posRegisterName: 'Till 1', posBusinessName: 'Toys Shop', posVendorName: 'Till2Go' };
  expect(pairRegisterBody.safeParse(pairing).success).toBe(true);
  for (const field of ['posRegisterId', 'posRegisterName', 'posBusinessName', 'posVendorName']) {
    const result = pairRegisterBody.safeParse({ ...pairing, [field]: '\u200B' });
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual([field]);
  }
  const sale = { transactionType: 'Card.Purchase', posRegisterId: 'r-1', posBusinessName: 'Toys Shop', posVendorName: 'Till2Go', amountTotal: 1 };
  for (const field of ['posRegisterId', 'posBusinessName', 'posVendorName']) {
    const result = transactionRequest.safeParse({ ...sale, [field]: 'a\u202Eb' });
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual([field]);
  }
});
