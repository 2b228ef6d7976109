/**
 * Webhook signatures, Stripe-style: `Relay-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<raw body>">`, one `v1=` per secret that is valid (two during a rotation's 24 hours).
 * `verifyRelaySignature` is exported for POS developers (docs/webhooks.md shows its use).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const signatureHeader = 'Relay-Signature';
export const eventIdHeader = 'Relay-Event-Id';
/** How far `t` may be from the receiver's clock before a delivery is treated as a replay. */
export const defaultToleranceSeconds = 300;

/** A new endpoint secret: 32 random bytes, prefixed so it is recognisable in a secrets manager. */
export function newEndpointSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

const hmac = (secret: string, timestamp: number, body: string) => createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');

export function signatureFor(body: string, secrets: readonly string[], timestamp: number): string {
  return [`t=${timestamp}`, ...secrets.map((secret) => `v1=${hmac(secret, timestamp, body)}`)].join(',');
}

export interface VerifyOptions {
  /** The raw request body, exactly as received (before any JSON parsing). */
  readonly body: string | Buffer;
  /** The Relay-Signature header value. */
  readonly header: string | undefined;
  /** The endpoint's secret (or, while you roll your own configuration, both). */
  readonly secrets: string | readonly string[];
  /** @default 300 */
  readonly toleranceSeconds?: number;
  /** Receiver's clock in ms. @default Date.now() */
  readonly now?: number;
}

/**
 * True when some `v1=` of the header is the HMAC of `<t>.<body>` under one of `secrets`, and `t`
 * is within the tolerance of the receiver's clock. Compares in constant time.
 */
export function verifyRelaySignature(options: VerifyOptions): boolean {
  const { header } = options;
  if (!header) return false;
  const parts = header.split(',').map((part) => part.trim().split('=') as [string, string | undefined]);
  const timestamps = parts.filter(([key]) => key === 't').map(([, value]) => Number(value));
  const signatures = parts.filter(([key, value]) => key === 'v1' && value && /^[0-9a-f]{64}$/.test(value)).map(([, value]) => Buffer.from(value!, 'hex'));
  const timestamp = timestamps[0];
  if (timestamps.length !== 1 || timestamp === undefined || !Number.isInteger(timestamp) || signatures.length === 0) return false;
  const tolerance = options.toleranceSeconds ?? defaultToleranceSeconds;
  if (Math.abs((options.now ?? Date.now()) / 1000 - timestamp) > tolerance) return false;
  const body = Buffer.isBuffer(options.body) ? options.body.toString('utf8') : options.body;
  const secrets = typeof options.secrets === 'string' ? [options.secrets] : options.secrets;
  let valid = false;
  for (const secret of secrets) {
    const expected = Buffer.from(hmac(secret, timestamp, body), 'hex');
    for (const signature of signatures) valid = timingSafeEqual(expected, signature) || valid;
  }
  return valid;
}
