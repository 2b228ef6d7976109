/**
 * Verifies a webhook delivery's `Relay-Signature` header (`t=<unix seconds>,v1=<hex HMAC-SHA256
 * of "<t>.<raw body>">`, one `v1=` per valid secret) with Web Crypto only, so it runs in Node 20+,
 * browsers, Deno and edge runtimes without a dependency. Same rules as the relay's own
 * lib/webhooks/signing.ts: any `v1=` under any given secret, `t` within the tolerance.
 */

export interface VerifyWebhookOptions {
  /** How far `t` may be from `now` before the delivery is treated as a replay. @default 300 */
  readonly toleranceSeconds?: number;
  /** The receiver's clock, ms since the epoch. @default Date.now() */
  readonly now?: number;
}

const encoder = new TextEncoder();

function hexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** Compares every byte whatever differs, so the time taken says nothing about where. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i += 1) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

/**
 * True when the header carries a valid signature of `rawBody` under one of `secrets` and its `t`
 * is within the tolerance. Pass the body exactly as received, before any JSON parsing (a string,
 * or the bytes). Pass both secrets while you switch over after a rotation.
 */
export async function verifyWebhookSignature(
  rawBody: string | Uint8Array,
  header: string | null | undefined,
  secrets: string | readonly string[],
  { toleranceSeconds = 300, now = Date.now() }: VerifyWebhookOptions = {},
): Promise<boolean> {
  if (!header) return false;
  const parts = header.split(',').map((part) => {
    const at = part.indexOf('=');
    return at < 0 ? [part.trim(), ''] : [part.slice(0, at).trim(), part.slice(at + 1).trim()];
  });
  const timestamps = parts.filter(([key]) => key === 't').map(([, value]) => value!);
  const signatures = parts.filter(([key, value]) => key === 'v1' && /^[0-9a-f]{64}$/.test(value!)).map(([, value]) => hexToBytes(value!));
  if (timestamps.length !== 1 || !/^\d+$/.test(timestamps[0]!) || signatures.length === 0) return false;
  const timestamp = Number(timestamps[0]);
  if (Math.abs(now / 1000 - timestamp) > toleranceSeconds) return false;
  const body = typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody;
  const prefix = encoder.encode(`${timestamp}.`);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix);
  signed.set(body, prefix.length);
  let valid = false;
  for (const secret of typeof secrets === 'string' ? [secrets] : secrets) {
    const key = await globalThis.crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const expected = new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', key, signed));
    for (const signature of signatures) valid = constantTimeEqual(expected, signature) || valid;
  }
  return valid;
}
