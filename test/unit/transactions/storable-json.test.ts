import { describe, expect, test } from '@jest/globals';
import { storableIssues, storableLimits } from '#transactions/storable-json.ts';
import { transactionRequest } from '#transactions/transaction-request.ts';
import { parseOrThrow } from '#http/validation.ts';
import { RelayProblem } from '#http/problem.ts';

const nest = (levels: number, leaf: unknown = 'x'): unknown => (levels === 0 ? leaf : { a: nest(levels - 1, leaf) });
const purchase = (extra: Record<string, unknown>) => ({
  transactionType: 'Card.Purchase', posRegisterId: 'r-1', posBusinessName: 'Toys Shop', posVendorName: 'Till2Go', amountTotal: 100,
  saleData: { version: '1.0.0', saleData: { totalAmount: '1.00', totalTax: '0.00', ...extra } },
});

/** The fields a 400 names for this body, or [] when it is accepted. */
function refusedFields(body: unknown): string[] {
  try {
    parseOrThrow(transactionRequest, body);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(RelayProblem);
    expect((error as RelayProblem).status).toBe(400);
    return ((error as RelayProblem).extensions.errors as { field: string }[]).map((e) => e.field);
  }
}

describe('numbers the store or SmartConnect cannot take are refused, naming the field', () => {
  test.each([
    ['1e400 (parses to Infinity)', JSON.parse('1e400') as number],
    ['-1e400', JSON.parse('-1e400') as number],
    ['a 17-digit whole number', 12345678901234567],
    ['2^53', 2 ** 53],
    ['1e300', 1e300],
    ['1e-200', 1e-200],
  ])('%s', (_label, weight) => {
    expect(refusedFields(purchase({ lineItems: [{ productName: 'p', quantity: '1', unitPrice: '1', unitTax: '0', totalPrice: '1', totalTax: '0', weight }] }))).toEqual(['saleData.saleData.lineItems.0.weight']);
  });

  test.each([0, -0, 1, -1, 0.1, 1234.5678, 2 ** 53 - 1, -(2 ** 53 - 1), 1e-130, 0.12345678901234567])('%p is kept', (weight) => {
    expect(refusedFields(purchase({ weight }))).toEqual([]);
  });
});

describe('nesting', () => {
  test(`up to ${storableLimits.maxDepth} levels in all is kept; deeper is refused where it gets too deep`, () => {
    // The request is level 1, saleData 2, its saleData 3: the rest is free.
    expect(refusedFields(purchase({ deep: nest(storableLimits.maxDepth - 3) }))).toEqual([]);
    const fields = refusedFields(purchase({ deep: nest(storableLimits.maxDepth - 2) }));
    expect(fields).toHaveLength(1);
    expect(fields[0]).toMatch(/^saleData\.saleData\.deep(\.a)+$/);
    expect(refusedFields(purchase({ deep: nest(40) }))).toHaveLength(1);
  });
});

describe('text and size', () => {
  test('a lone surrogate anywhere in saleData is refused (it would reach SmartConnect as U+FFFD)', () => {
    expect(refusedFields(purchase({ note: 'a\uD800b' }))).toEqual(['saleData.saleData.note']);
    expect(refusedFields(purchase({ note: 'emoji 😀 ok' }))).toEqual([]);
  });

  test('an item larger than the store holds is refused', () => {
    expect(storableIssues({ big: 'x'.repeat(storableLimits.maxBytes) })).toEqual([{ path: [], message: expect.stringMatching(/too large/) }]);
    expect(storableIssues({ fine: 'x'.repeat(1000) })).toEqual([]);
  });
});
