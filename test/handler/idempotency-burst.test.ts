import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { startLocalRelay, type LocalRelay } from '../../local/local-relay.ts';
import type { RelayAnswer } from '../support/relay-client.ts';
import { createTransaction, pairedRegister, smartConnectPosts, type Register } from '../support/transactions.ts';

// Bursts of requests with one Idempotency-Key and one body, sent together while the first create's
// POST is still in flight (SmartConnect answers after 300 ms). Whatever SmartConnect answers, it
// gets one POST per key, and every request gets the first create's answer. SmartConnect's deadline
// is long here: on a loaded machine a slow answer would otherwise (correctly) become UNKNOWN.
let relay: LocalRelay;

beforeAll(async () => {
  relay = await startLocalRelay({
    simulator: { deviceResponseMs: 200, minPollIntervalMs: 50 },
    env: { POLL_INTERVAL_MS: '500', SMARTCONNECT_TIMEOUT_MS: '15000', POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
});
afterAll(() => relay.close(), 20_000);

const purchase = (register: Register, amountTotal: number) => ({ transactionType: 'Card.Purchase', ...register, amountTotal });
const postsFor = (register: Register) => smartConnectPosts(relay).filter((r) => r.form.POSRegisterID === register.posRegisterId);
const unpaired = (): Register => ({ posRegisterId: `reg-${randomUUID()}`, posBusinessName: 'Test Shop', posVendorName: 'TestPOS' });

async function burst(size: number, body: object, key: string): Promise<RelayAnswer[]> {
  relay.simulator!.failNext('transaction', { kind: 'delay', ms: 300 });
  return Promise.all(Array.from({ length: size }, () => createTransaction(relay, body, key)));
}

const sizes = [2, 5, 10, 50];

describe.each(sizes)('%i concurrent creates with one key', (size) => {
  test('SmartConnect accepts (202): one POST, one transaction, the rest replay it', async () => {
    const register = await pairedRegister(relay);
    const key = randomUUID();
    const answers = await burst(size, purchase(register, 100), key);
    expect(answers.map((a) => a.status).sort()).toEqual([...Array(size - 1).fill(200), 202]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(size - 1);
    expect(postsFor(register)).toHaveLength(1);
  }, 60_000);

  test.each([
    ['refuses with 400 (register not paired)', 400, async () => ({ register: unpaired(), amount: 100 })],
    ['refuses with 429 (device is busy)', 429, async () => ({ register: await pairedRegister(relay), amount: 1261 })],
  ])('SmartConnect %s: one POST, and every request gets that same answer', async (_label, status, setup) => {
    const { register, amount } = await setup();
    const key = randomUUID();
    const answers = await burst(size, purchase(register, amount), key);
    for (const answer of answers) {
      expect(answer.status).toBe(status);
      expect(answer.body).toEqual(answers[0]!.body);
    }
    expect(answers[0]!.body).toMatchObject({ code: 'smartconnect-rejected', charged: false, retryWithNewIdempotencyKey: true });
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true')).toHaveLength(size - 1);
    // A later retry with the key still gets the stored answer and sends nothing.
    const later = await createTransaction(relay, purchase(register, amount), key);
    expect(later.status).toBe(status);
    expect(later.body).toEqual(answers[0]!.body);
    expect(postsFor(register)).toHaveLength(1);
  }, 60_000);
});
