/**
 * fast-check's model of a POS request to the relay: every route, method, header and body shape,
 * valid and invalid. `invalid` marks requests that are wrong by construction, which must never
 * reach SmartConnect whatever the relay answers.
 */
import fc from 'fast-check';

export type Auth = 'valid' | 'none' | 'wrong' | 'basic' | 'garbage' | 'twice';
export type ContentType = 'json' | 'json-utf8' | 'none' | 'text' | 'form' | 'twice' | 'garbage';
export type IdempotencyKey = 'fresh' | 'none' | 'empty' | 'long' | 'twice' | 'list' | 'control';
export type PairingCode = 'fresh' | 'wrong-digits' | 'garbage';

export type Body =
  | { readonly kind: 'valid' }
  | { readonly kind: 'drop'; readonly field: number }
  | { readonly kind: 'retype'; readonly field: number; readonly value: string }
  | { readonly kind: 'unknown-field' }
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'deep'; readonly depth: number }
  | { readonly kind: 'none' };

export type Target =
  | { readonly route: 'health' }
  | { readonly route: 'pairing'; readonly code: PairingCode; readonly garbage: string }
  | { readonly route: 'create' }
  | { readonly route: 'read'; readonly known: boolean; readonly garbage: string }
  | { readonly route: 'list'; readonly query: readonly (readonly [string, string])[] }
  | { readonly route: 'elsewhere'; readonly segments: readonly string[] };

export interface ModelRequest {
  readonly target: Target;
  /** The method the route takes, or another one. */
  readonly method: string | 'route';
  readonly auth: Auth;
  readonly contentType: ContentType;
  readonly idempotencyKey: IdempotencyKey;
  readonly body: Body;
  /** Picks a register, a transaction type and an amount for valid bodies. */
  readonly pick: number;
}

const printable = fc.stringMatching(/^[\x20-\x7e]{0,60}$/);
/** Path text: any string, percent-encoded, or the pieces that break naive servers. */
const pathText = fc.oneof(
  fc.string({ maxLength: 24 }).map(percentEncode),
  fc.constantFrom('%zz', '%', '%E0%A4%A', '..', '.', '%2e%2e', '%2F', '__proto__', 'constructor', 'prototype', '%00', ''),
);

const target: fc.Arbitrary<Target> = fc.oneof(
  fc.constant({ route: 'health' as const }),
  fc.record({ route: fc.constant('pairing' as const), code: fc.constantFrom<PairingCode>('fresh', 'fresh', 'wrong-digits', 'garbage'), garbage: pathText }),
  fc.constant({ route: 'create' as const }),
  fc.constant({ route: 'create' as const }),
  fc.record({ route: fc.constant('read' as const), known: fc.boolean(), garbage: pathText }),
  fc.record({
    route: fc.constant('list' as const),
    query: fc.array(fc.tuple(fc.oneof(fc.constantFrom('posRegisterId', 'limit', 'cursor', '__proto__', 'constructor'), printable), printable), { maxLength: 4 }),
  }),
  fc.record({ route: fc.constant('elsewhere' as const), segments: fc.array(pathText, { maxLength: 4 }) }),
);

const body: fc.Arbitrary<Body> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'valid' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('drop' as const), field: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('retype' as const),
      field: fc.nat(),
      // JSON text for values no field accepts: wrong types, and numbers no amount can be.
      value: fc.constantFrom('null', 'true', '[]', '{}', '0', '-5', '1.5', '1e400', '-1e400', '100000000', '12345678901234567', '"12"', '""', '"\\u0000"'),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'unknown-field' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue({ maxDepth: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('text' as const), text: fc.string({ maxLength: 80 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deep' as const), depth: fc.integer({ min: 30, max: 5_000 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
);

export const modelRequest: fc.Arbitrary<ModelRequest> = fc.record({
  target,
  method: fc.oneof({ weight: 8, arbitrary: fc.constant('route') }, { weight: 2, arbitrary: fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS') }),
  auth: fc.oneof({ weight: 8, arbitrary: fc.constant<Auth>('valid') }, { weight: 2, arbitrary: fc.constantFrom<Auth>('none', 'wrong', 'basic', 'garbage', 'twice') }),
  contentType: fc.oneof({ weight: 8, arbitrary: fc.constantFrom<ContentType>('json', 'json-utf8') }, { weight: 2, arbitrary: fc.constantFrom<ContentType>('none', 'text', 'form', 'twice', 'garbage') }),
  idempotencyKey: fc.oneof({ weight: 8, arbitrary: fc.constant<IdempotencyKey>('fresh') }, { weight: 2, arbitrary: fc.constantFrom<IdempotencyKey>('none', 'empty', 'long', 'twice', 'list', 'control') }),
  body,
  pick: fc.nat(),
});

/** UTF-8 bytes as %XX, except unreserved characters (lone surrogates become U+FFFD). */
export function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}
