import { describe, expect, test } from '@jest/globals';
import { parseRetryAfter } from '#smartconnect/retry-after.ts';

describe('parseRetryAfter: whole seconds within 1..3600, never Infinity or NaN', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  test.each([
    ['5', 5],
    ['0', 1],
    ['0.2', 1],
    ['2.5', 3],
    ['-5', 1],
    ['1e308', 3600],
    ['1e999', 3600],
    ['86400', 3600],
    [' 7 ', 7],
    ['Thu, 01 Jan 2026 00:00:30 GMT', 30],
    ['Wed, 31 Dec 2025 23:00:00 GMT', 1],
    ['Fri, 01 Jan 2027 00:00:00 GMT', 3600],
  ])('%j → %d', (header, seconds) => {
    expect(parseRetryAfter(header, now)).toBe(seconds);
  });

  test.each([undefined, '', 'soon', 'NaN', 'Infinity', '0x10'])('%j → no usable value', (header) => {
    expect(parseRetryAfter(header, now)).toBeUndefined();
  });

  test('a repeated header is read as the longest wait', () => {
    expect(parseRetryAfter(['2', '9', 'junk'], now)).toBe(9);
  });
});
