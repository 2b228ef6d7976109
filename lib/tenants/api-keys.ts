/**
 * The relay's API keys: `scr_<keyId>_<secret>`.
 *
 * - `keyId`: 12 lowercase base32 characters (60 random bits). Not secret: it is the lookup key in the
 *   tenant store and the name support, logs and the admin CLI use for a key.
 * - `secret`: 32 random bytes (256 bits) as unpadded base64url (43 characters).
 *
 * The store keeps only SHA-256 of the whole key string. Why not bcrypt/scrypt/argon2: slow hashes
 * stretch low-entropy passwords; a 256-bit random secret cannot be guessed offline however fast the
 * hash, so stretching buys nothing and would cost tens of milliseconds of CPU on every authorizer
 * cache miss (and hand anyone holding a well-formed fake key a way to burn our CPU). Why no HMAC
 * pepper: it would defend against offline guessing that 256 bits already rule out, at the price of a
 * secret to fetch at cold start and to rotate. Hashing the whole string binds the hash to its keyId.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const apiKeyPrefix = 'scr';
const keyIdLength = 12;
const secretBytes = 32;
const base32 = 'abcdefghijklmnopqrstuvwxyz234567';

// Fixed lengths make the `_` separators unambiguous even though base64url itself contains `_`.
const apiKeyPattern = /^scr_([a-z2-7]{12})_([A-Za-z0-9_-]{43})$/;
const keyIdPattern = /^[a-z2-7]{12}$/;
/** The non-secret head of something that looks like one of our keys: safe to log even when the rest is malformed. */
const keyIdPrefixPattern = /^scr_([a-z2-7]{12})_/;

export interface ParsedApiKey {
  readonly keyId: string;
  readonly secret: string;
}

export interface GeneratedApiKey {
  /** The plaintext key: shown to the tenant once, never stored. */
  readonly apiKey: string;
  readonly keyId: string;
  /** What the store keeps. */
  readonly hash: string;
}

export function generateKeyId(): string {
  // 256 is a multiple of 32, so `byte & 31` is uniform.
  return Array.from(randomBytes(keyIdLength), (byte) => base32[byte & 31]).join('');
}

export function isKeyId(value: unknown): value is string {
  return typeof value === 'string' && keyIdPattern.test(value);
}

export function generateApiKey(keyId: string = generateKeyId()): GeneratedApiKey {
  if (!isKeyId(keyId)) throw new TypeError('keyId must be 12 lowercase base32 characters');
  const apiKey = `${apiKeyPrefix}_${keyId}_${randomBytes(secretBytes).toString('base64url')}`;
  return { apiKey, keyId, hash: hashApiKey(apiKey) };
}

/** The key's parts, or undefined for anything that is not exactly a well-formed key. */
export function parseApiKey(value: unknown): ParsedApiKey | undefined {
  if (typeof value !== 'string') return undefined;
  const match = apiKeyPattern.exec(value);
  if (!match) return undefined;
  const [, keyId, secret] = match as unknown as [string, string, string];
  // 43 characters carry 258 bits: only the canonical encoding of 32 bytes counts, so one secret has one spelling.
  if (Buffer.from(secret, 'base64url').toString('base64url') !== secret) return undefined;
  return { keyId, secret };
}

/**
 * The keyId of a value that starts like a relay key, for logs: that part is non-secret by design,
 * and nothing after it is returned.
 */
export function keyIdForLog(value: unknown): string | undefined {
  return typeof value === 'string' ? keyIdPrefixPattern.exec(value)?.[1] : undefined;
}

/** Hex SHA-256 of the whole key string. */
export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex');
}

// Compared against when there is no stored hash, so an unknown key takes the same path as a wrong one.
const absentHash = Buffer.alloc(32);

/**
 * Whether `apiKey` is the key whose hash is `storedHash`, compared in constant time. A missing or
 * corrupt stored hash is compared against a dummy and fails, rather than short-circuiting.
 */
export function verifyApiKey(apiKey: string, storedHash: string | undefined): boolean {
  const presented = createHash('sha256').update(apiKey, 'utf8').digest();
  const stored = typeof storedHash === 'string' && /^[0-9a-f]{64}$/.test(storedHash) ? Buffer.from(storedHash, 'hex') : undefined;
  const equal = timingSafeEqual(presented, stored ?? absentHash);
  return equal && stored !== undefined;
}
