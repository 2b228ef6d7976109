import { describe, expect, test } from '@jest/globals';
import { jsonNestsDeeperThan, maxJsonDepth } from '#http/json-depth.ts';
import { repeatedHeader } from '#http/single-headers.ts';
import { authorizationHeader } from '../../../functions/authorize/authorizer.ts';

describe('jsonNestsDeeperThan', () => {
  const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
  test('counts nesting of arrays and objects, not brackets inside strings', () => {
    expect(jsonNestsDeeperThan(nested(maxJsonDepth))).toBe(false);
    expect(jsonNestsDeeperThan(nested(maxJsonDepth + 1))).toBe(true);
    expect(jsonNestsDeeperThan(JSON.stringify({ a: { b: [{ c: '[[[[[[' }] } }), 4)).toBe(false);
    expect(jsonNestsDeeperThan(JSON.stringify({ a: { b: [{ c: 1 }] } }), 3)).toBe(true);
    expect(jsonNestsDeeperThan(JSON.stringify({ s: 'quote \\" then [[[[' }), 1)).toBe(false);
  });

  test('hundreds of thousands of levels are measured without recursion', () => {
    expect(jsonNestsDeeperThan('['.repeat(500_000))).toBe(true);
  });
});

describe('repeatedHeader', () => {
  test('a relied-on header repeated in multiValueHeaders, in two spellings, or comma-joined is named', () => {
    expect(repeatedHeader({ headers: { 'Idempotency-Key': 'b' }, multiValueHeaders: { 'Idempotency-Key': ['a', 'b'] } })).toBe('Idempotency-Key');
    expect(repeatedHeader({ headers: { 'Idempotency-Key': 'a', 'idempotency-key': 'b' }, multiValueHeaders: {} })).toBe('Idempotency-Key');
    expect(repeatedHeader({ headers: { 'idempotency-key': 'a, b' }, multiValueHeaders: {} })).toBe('Idempotency-Key');
    expect(repeatedHeader({ headers: { 'Content-Type': 'application/json' }, multiValueHeaders: { 'content-type': ['application/json', 'text/plain'] } })).toBe('Content-Type');
    expect(repeatedHeader({ headers: { 'X-Api-Key': 'k1,k2' }, multiValueHeaders: {} })).toBe('x-api-key');
  });

  test('single values, and repeats of headers the relay does not read, pass', () => {
    expect(repeatedHeader({ headers: { 'Idempotency-Key': 'a', 'content-type': 'application/json; charset=utf-8' }, multiValueHeaders: { Accept: ['a', 'b'], 'Idempotency-Key': ['a'] } })).toBeUndefined();
    expect(repeatedHeader({ headers: null as never, multiValueHeaders: null as never })).toBeUndefined();
  });

  test('the authorizer treats a comma-joined Authorization as repeated', () => {
    expect(authorizationHeader({ Authorization: 'Bearer a, Bearer b' }).repeated).toBe(true);
    expect(authorizationHeader({ Authorization: 'Bearer a' })).toEqual({ value: 'Bearer a', repeated: false });
  });
});
