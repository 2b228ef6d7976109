import { createHmac } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { newEndpointSecret, signatureFor, verifyRelaySignature } from '#webhooks/signing.ts';

const body = '{"id":"evt_1","type":"transaction.completed"}';
const secret = 'whsec_current';
const old = 'whsec_previous';
const t = 1_800_000_000;
const at = (seconds: number) => seconds * 1000;

describe('Relay-Signature', () => {
  test('is t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">, one v1 per valid secret', () => {
    const header = signatureFor(body, [secret, old], t);
    const expected = (key: string) => createHmac('sha256', key).update(`${t}.${body}`).digest('hex');
    expect(header).toBe(`t=${t},v1=${expected(secret)},v1=${expected(old)}`);
  });

  test('verifies with either secret during a rotation, and with the raw body as a Buffer', () => {
    const header = signatureFor(body, [secret, old], t);
    expect(verifyRelaySignature({ body, header, secrets: secret, now: at(t) })).toBe(true);
    expect(verifyRelaySignature({ body: Buffer.from(body), header, secrets: [old], now: at(t) })).toBe(true);
  });

  test('refuses another secret, a changed body, a changed timestamp and malformed headers', () => {
    const header = signatureFor(body, [secret], t);
    expect(verifyRelaySignature({ body, header, secrets: 'whsec_other', now: at(t) })).toBe(false);
    expect(verifyRelaySignature({ body: body.replace('completed', 'unknown'), header, secrets: secret, now: at(t) })).toBe(false);
    expect(verifyRelaySignature({ body, header: header.replace(`t=${t}`, `t=${t + 1}`), secrets: secret, now: at(t) })).toBe(false);
    expect(verifyRelaySignature({ body, header: undefined, secrets: secret, now: at(t) })).toBe(false);
    expect(verifyRelaySignature({ body, header: `t=${t}`, secrets: secret, now: at(t) })).toBe(false);
    expect(verifyRelaySignature({ body, header: `${header},t=${t}`, secrets: secret, now: at(t) })).toBe(false);
  });

  test('refuses a timestamp outside the tolerance (300 s by default), either way', () => {
    const header = signatureFor(body, [secret], t);
    expect(verifyRelaySignature({ body, header, secrets: secret, now: at(t + 300) })).toBe(true);
    expect(verifyRelaySignature({ body, header, secrets: secret, now: at(t + 301) })).toBe(false);
    expect(verifyRelaySignature({ body, header, secrets: secret, now: at(t - 301) })).toBe(false);
    expect(verifyRelaySignature({ body, header, secrets: secret, now: at(t + 900), toleranceSeconds: 900 })).toBe(true);
  });

  test('secrets are 32 random bytes, prefixed whsec_', () => {
    const secrets = new Set(Array.from({ length: 50 }, newEndpointSecret));
    expect(secrets.size).toBe(50);
    for (const s of secrets) expect(s).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
  });
});
