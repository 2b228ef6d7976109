/**
 * The client's Web Crypto verifier accepts what the relay's own signer (lib/webhooks/signing.ts)
 * produces, and refuses a tampered body, an old or future `t`, a wrong secret and bad headers.
 */
import { describe, expect, test } from '@jest/globals';
import { verifyWebhookSignature } from '../../../client/src/index.ts';
import { newEndpointSecret, signatureFor, verifyRelaySignature } from '#webhooks/signing.ts';

const body = JSON.stringify({ id: 'evt_1', type: 'transaction.completed', createdAt: '2026-12-01T23:40:12.345Z', data: { transaction: { id: 't-1', note: 'café ✓' } } });
const secret = newEndpointSecret();
const nowMs = 1_796_168_412_000;
const t = nowMs / 1000;

describe('verifyWebhookSignature (client)', () => {
  test("accepts the relay's signatures, string or bytes, one secret or during a rotation", async () => {
    const header = signatureFor(body, [secret], t);
    expect(await verifyWebhookSignature(body, header, secret, { now: nowMs })).toBe(true);
    expect(await verifyWebhookSignature(new TextEncoder().encode(body), header, [secret], { now: nowMs })).toBe(true);
    const previous = newEndpointSecret();
    const rotated = signatureFor(body, [secret, previous], t);
    expect(await verifyWebhookSignature(body, rotated, previous, { now: nowMs })).toBe(true);
    expect(await verifyWebhookSignature(body, rotated, [newEndpointSecret(), secret], { now: nowMs })).toBe(true);
    // Within the tolerance either way.
    expect(await verifyWebhookSignature(body, header, secret, { now: nowMs + 299_000 })).toBe(true);
    expect(await verifyWebhookSignature(body, header, secret, { now: nowMs - 299_000 })).toBe(true);
  });

  test('refuses a tampered body, an old or future t, a wrong secret and malformed headers', async () => {
    const header = signatureFor(body, [secret], t);
    expect(await verifyWebhookSignature(body.replace('t-1', 't-2'), header, secret, { now: nowMs })).toBe(false);
    expect(await verifyWebhookSignature(`${body} `, header, secret, { now: nowMs })).toBe(false);
    expect(await verifyWebhookSignature(body, header, secret, { now: nowMs + 301_000 })).toBe(false);
    expect(await verifyWebhookSignature(body, header, secret, { now: nowMs - 301_000 })).toBe(false);
    expect(await verifyWebhookSignature(body, header, secret, { now: nowMs + 60_000, toleranceSeconds: 30 })).toBe(false);
    expect(await verifyWebhookSignature(body, header, newEndpointSecret(), { now: nowMs })).toBe(false);
    // A fresh t on an old signature: the signature covers t.
    expect(await verifyWebhookSignature(body, header.replace(`t=${t}`, `t=${t + 10}`), secret, { now: nowMs })).toBe(false);
    for (const bad of [undefined, null, '', `t=${t}`, header.replace(/v1=\w+/, 'v1=zz'), `${header},t=${t}`, `t=abc,${header.split(',')[1]}`]) {
      expect(await verifyWebhookSignature(body, bad, secret, { now: nowMs })).toBe(false);
    }
  });

  test('agrees with the relay verifier on the same inputs', async () => {
    const header = signatureFor(body, [secret], t);
    for (const [candidate, withSecret, now] of [[body, secret, nowMs], [body + 'x', secret, nowMs], [body, secret, nowMs + 400_000], [body, 'whsec_other', nowMs]] as const) {
      expect(await verifyWebhookSignature(candidate, header, withSecret, { now })).toBe(verifyRelaySignature({ body: candidate, header, secrets: withSecret, now }));
    }
  });
});
