import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startLocalRelay, type LocalRelay } from '../../local/local-relay.ts';
import { expectProblem, pairRequest, validPairing } from '../support/relay-client.ts';
import { createTransaction, pairedRegister } from '../support/transactions.ts';

// SmartConnect's Retry-After reaches the POS as whole seconds in 1..3600, whatever it said.
let relay: LocalRelay;

beforeAll(async () => {
  relay = await startLocalRelay({ simulator: { deviceResponseMs: 200 }, env: { POWERTOOLS_LOG_LEVEL: 'SILENT' } });
});
afterAll(() => relay.close());

const busy = (retryAfter: string) => ({ kind: 'status' as const, status: 429, headers: { 'Retry-After': retryAfter }, body: '{"error":"device is busy"}' });

test.each([
  ['1e308', '3600'],
  ['-3', '1'],
  ['2.5', '3'],
])('create refused with Retry-After %s → the POS gets Retry-After %s', async (sent, passed) => {
  const register = await pairedRegister(relay);
  relay.simulator!.failNext('transaction', busy(sent));
  const answer = await createTransaction(relay, { transactionType: 'Card.Purchase', ...register, amountTotal: 100 });
  expectProblem(answer, 429, 'smartconnect-rejected');
  expect(answer.headers.get('retry-after')).toBe(passed);
});

test('pairing refused with Retry-After 1e308 → Retry-After 3600', async () => {
  relay.simulator!.failNext('pairing', busy('1e308'));
  const answer = await pairRequest(relay, relay.simulator!.issuePairingCode(), validPairing);
  expectProblem(answer, 429, 'smartconnect-rejected');
  expect(answer.headers.get('retry-after')).toBe('3600');
});
