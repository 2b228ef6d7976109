import { createHash } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { generateApiKey, generateKeyId, hashApiKey, isKeyId, keyIdForLog, parseApiKey, verifyApiKey } from '#tenants/api-keys.ts';

const keyPattern = /^scr_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/;

describe('generateApiKey', () => {
  test('issues scr_<12 base32>_<43 base64url> with the hash of the whole key', () => {
    const { apiKey, keyId, hash } = generateApiKey();
    expect(apiKey).toMatch(keyPattern);
    expect(apiKey.startsWith(`scr_${keyId}_`)).toBe(true);
    expect(Buffer.from(apiKey.slice(17), 'base64url')).toHaveLength(32);
    expect(hash).toBe(createHash('sha256').update(apiKey).digest('hex'));
    expect(hash).not.toContain(apiKey.slice(17));
  });

  test('draws fresh key ids and secrets every time', () => {
    const keys = Array.from({ length: 200 }, () => generateApiKey());
    expect(new Set(keys.map((k) => k.keyId)).size).toBe(200);
    expect(new Set(keys.map((k) => k.apiKey.slice(17))).size).toBe(200);
  });

  test('key ids use the whole base32 alphabet (uniform draw)', () => {
    const seen = new Set(Array.from({ length: 400 }, () => generateKeyId()).join(''));
    expect(seen.size).toBe(32);
  });

  test('refuses a malformed chosen keyId', () => {
    expect(() => generateApiKey('ABCDEFGHIJKL')).toThrow(TypeError);
    expect(generateApiKey('abcdefghijkl').keyId).toBe('abcdefghijkl');
  });
});

describe('parseApiKey', () => {
  const { apiKey, keyId } = generateApiKey();
  const secret = apiKey.slice(17);

  test('returns the keyId and secret of a well-formed key', () => {
    expect(parseApiKey(apiKey)).toEqual({ keyId, secret });
  });

  test('accepts secrets that contain "_" and "-" (fixed lengths keep the separators unambiguous)', () => {
    const tricky = `scr_abcdefghijkl_${'_'.repeat(10)}${'-'.repeat(32)}A`;
    expect(parseApiKey(tricky)).toEqual({ keyId: 'abcdefghijkl', secret: tricky.slice(17) });
  });

  const malformed: [string, unknown][] = [
    ['undefined', undefined],
    ['a number', 42],
    ['an empty string', ''],
    ['another prefix', apiKey.replace(/^scr_/, 'sk_')],
    ['an upper-case prefix', apiKey.replace(/^scr/, 'SCR')],
    ['no prefix', apiKey.slice(4)],
    ['an upper-case keyId', `scr_${keyId.toUpperCase()}_${secret}`],
    ['a keyId with 0/1/8/9 (not base32)', `scr_abcdefghij01_${secret}`],
    ['a short keyId', `scr_${keyId.slice(1)}_${secret}`],
    ['a long keyId', `scr_${keyId}a_${secret}`],
    ['a truncated secret', apiKey.slice(0, -1)],
    ['an extended secret', `${apiKey}A`],
    ['padding', `${apiKey}=`],
    ['standard base64 characters', `scr_${keyId}_${'+'.repeat(42)}A`],
    ['a non-canonical last character (same bytes, other spelling)', `scr_${keyId}_${'A'.repeat(42)}B`],
    ['leading whitespace', ` ${apiKey}`],
    ['trailing newline', `${apiKey}\n`],
    ['a missing separator', `scr_${keyId}${secret}`],
    ['unicode look-alikes', apiKey.replace('s', 'ѕ')],
    ['the Bearer scheme included', `Bearer ${apiKey}`],
  ];
  test.each(malformed)('rejects %s', (_label, value) => {
    expect(parseApiKey(value)).toBeUndefined();
  });
});

describe('keyIdForLog', () => {
  test('returns only the non-secret keyId of key-like values', () => {
    const { apiKey, keyId } = generateApiKey();
    expect(keyIdForLog(apiKey)).toBe(keyId);
    expect(keyIdForLog(`${apiKey}garbage`)).toBe(keyId);
    expect(keyIdForLog('scr_short_x')).toBeUndefined();
    expect(keyIdForLog(apiKey.slice(17))).toBeUndefined();
    expect(keyIdForLog(undefined)).toBeUndefined();
  });
});

describe('verifyApiKey', () => {
  const { apiKey, hash } = generateApiKey();

  test('accepts the key its hash was made from', () => {
    expect(verifyApiKey(apiKey, hash)).toBe(true);
    expect(verifyApiKey(apiKey, hashApiKey(apiKey))).toBe(true);
  });

  test('rejects another key, and the right key against another hash', () => {
    const other = generateApiKey();
    expect(verifyApiKey(other.apiKey, hash)).toBe(false);
    expect(verifyApiKey(apiKey, other.hash)).toBe(false);
  });

  test('compares every byte: a hash differing only in its first or its last byte fails', () => {
    const flip = (hex: string, at: number) => hex.slice(0, at) + ((parseInt(hex[at]!, 16) ^ 1).toString(16)) + hex.slice(at + 1);
    expect(verifyApiKey(apiKey, flip(hash, 0))).toBe(false);
    expect(verifyApiKey(apiKey, flip(hash, 63))).toBe(false);
  });

  test('a missing or corrupt stored hash fails without throwing (the dummy comparison path)', () => {
    expect(verifyApiKey(apiKey, undefined)).toBe(false);
    expect(verifyApiKey(apiKey, '')).toBe(false);
    expect(verifyApiKey(apiKey, hash.slice(2))).toBe(false);
    expect(verifyApiKey(apiKey, `${hash}00`)).toBe(false);
    expect(verifyApiKey(apiKey, hash.toUpperCase())).toBe(false);
    expect(verifyApiKey(apiKey, 'z'.repeat(64))).toBe(false);
    // The dummy is all zeros: a key is never accepted against it, whatever its hash.
    expect(verifyApiKey(apiKey, '0'.repeat(64))).toBe(false);
  });

  test('a one-character change anywhere in the key fails', () => {
    const changed = apiKey.slice(0, -2) + (apiKey.at(-2) === 'a' ? 'b' : 'a') + apiKey.at(-1);
    expect(verifyApiKey(changed, hash)).toBe(false);
  });
});

test('isKeyId', () => {
  expect(isKeyId('abcdefghijkl')).toBe(true);
  expect(isKeyId('abcdefghijk')).toBe(false);
  expect(isKeyId('abcdefghijk1')).toBe(false);
  expect(isKeyId(123)).toBe(false);
});
