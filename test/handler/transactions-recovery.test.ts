import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { request } from 'node:https';
import { startLocalRelay, type LocalRelay } from '../../local/local-relay.ts';
import { createTransaction, getTransaction, listTransactions, pairedRegister, smartConnectPolls, waitForFinal } from '../support/transactions.ts';

// SmartConnect here rate-limits polls closer than 1 s (429 + Retry-After: 1) while the relay would
// poll every 200 ms, and its polling token lives only 4.5 s, so back-off and expiry are observable.
let relay: LocalRelay;

beforeAll(async () => {
  relay = await startLocalRelay({
    simulator: { deviceResponseMs: 2_500, minPollIntervalMs: 1_000, tokenTtlMs: 4_500 },
    env: { POLL_INTERVAL_MS: '200', POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
});
afterAll(() => relay.close());

test('5xx answers and resets while polling do not end the transaction', async () => {
  // First in this file, so no other transaction is being polled to soak up the faults.
  const register = await pairedRegister(relay);
  const created = await createTransaction(relay, { transactionType: 'Card.Purchase', ...register, amountTotal: 100 });
  relay.simulator!.failNext('poll', { kind: 'status', status: 503 }, 2);
  relay.simulator!.failNext('poll', { kind: 'reset' }, 1);
  const final = await waitForFinal(relay, String(created.body.id), 15_000);
  expect(final).toMatchObject({ status: 'COMPLETED', outcome: 'APPROVED' });
  const own = smartConnectPolls(relay).filter((p) => p.path.endsWith(String((final.result as Record<string, string>).smartConnectTransactionId)));
  expect(own.filter((p) => p.status === 503)).toHaveLength(2);
  expect(own.filter((p) => p.status === undefined)).toHaveLength(1);
}, 20_000);

test('after a 429 the relay waits at least Retry-After before polling again, and still gets the outcome', async () => {
  const register = await pairedRegister(relay);
  const created = await createTransaction(relay, { transactionType: 'Card.Purchase', ...register, amountTotal: 700 });
  const final = await waitForFinal(relay, String(created.body.id), 10_000);
  expect(final).toMatchObject({ status: 'COMPLETED', outcome: 'APPROVED' });

  const polls = smartConnectPolls(relay).filter((p) => p.path.endsWith(String((final.result as Record<string, string>).smartConnectTransactionId)));
  const limited = polls.filter((p) => p.status === 429);
  expect(limited.length).toBeGreaterThan(0);
  for (const poll of limited) {
    const next = polls[polls.indexOf(poll) + 1];
    if (next) expect(next.receivedAt - poll.receivedAt).toBeGreaterThanOrEqual(1_000 - 20);
  }
  // Never faster than the relay's own interval.
  for (let i = 1; i < polls.length; i += 1) expect(polls[i]!.receivedAt - polls[i - 1]!.receivedAt).toBeGreaterThanOrEqual(200 - 20);
}, 20_000);

test('crash and recover: the POS loses its response, finds the transaction by register, reads the outcome after the token expired', async () => {
  const register = await pairedRegister(relay);
  // The POS sends and crashes before reading the answer.
  await createTransaction(relay, { transactionType: 'Card.Purchase', ...register, amountTotal: 1258 }, 'sale-42-attempt-1');

  // It restarts knowing only its register id.
  const listed = await listTransactions(relay, `posRegisterId=${encodeURIComponent(register.posRegisterId)}`);
  expect(listed.status).toBe(200);
  const [found] = listed.body.items as { id: string; request: { amountTotal: number } }[];
  expect(found!.request.amountTotal).toBe(1258);

  // By the time it looks, SmartConnect's polling token has expired...
  const final = await waitForFinal(relay, found!.id, 10_000);
  await new Promise((resolve) => setTimeout(resolve, 4_700));
  const pollingUrl = smartConnectPolls(relay).find((p) => p.path.endsWith(String((final.result as Record<string, string>).smartConnectTransactionId)))!;
  const direct = await new Promise<number>((resolve, reject) => {
    const url = new URL(`${relay.simulator!.origin}${pollingUrl.path}?merchantAccessToken=${pollingUrl.query.merchantAccessToken}`);
    request(url, { ca: undefined }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject).end();
  });
  expect(direct).toBe(401);

  // ...but the relay still has the outcome, tip and surcharge included.
  const stored = await getTransaction(relay, found!.id);
  expect(stored.body).toMatchObject({ status: 'COMPLETED', outcome: 'APPROVED', result: { amountTotal: 1373, amountTip: 100, amountSurcharge: 15 } });
  // And resending the same request with its key is harmless: the same transaction, no new POST.
  const again = await createTransaction(relay, { transactionType: 'Card.Purchase', ...register, amountTotal: 1258 }, 'sale-42-attempt-1');
  expect(again.body.id).toBe(found!.id);
}, 20_000);
