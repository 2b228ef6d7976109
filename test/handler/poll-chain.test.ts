import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { SQSEvent } from 'aws-lambda';
import { startLocalRelay, type LocalRelay } from '../../local/local-relay.ts';
import { createTransaction, pairedRegister, smartConnectPolls, waitForFinal } from '../support/transactions.ts';

// SQS delivers at least once: the poll worker gets the same message several times, and old ones
// late. Whatever it is handed, a transaction is polled by one chain: never two polls of it closer
// than the poll interval, and about one poll per interval.
const intervalMs = 300;
let relay: LocalRelay;
let handler: (event: SQSEvent) => Promise<unknown>;

beforeAll(async () => {
  relay = await startLocalRelay({
    simulator: { deviceResponseMs: 3_000, minPollIntervalMs: 0 },
    env: { POLL_INTERVAL_MS: String(intervalMs), POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
  ({ handler } = (await import('../../functions/poll-transaction/handler.ts')) as unknown as { handler: typeof handler });
});
afterAll(() => relay.close());

const sqsEvent = (bodies: object[]): SQSEvent =>
  ({ Records: bodies.map((body, i) => ({ messageId: `m-${i}`, body: JSON.stringify(body) })) }) as unknown as SQSEvent;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test.each([2, 3, 5])('the same poll message delivered %i times (at once and again later) runs one chain', async (copies) => {
  const register = await pairedRegister(relay);
  const created = await createTransaction(relay, { transactionType: 'Card.Purchase', ...register, amountTotal: 100 });
  const transactionId = String(created.body.id);
  const { transactionStore } = await import('#transactions/transactions-runtime.ts');

  // The first message again, several times, in one batch and in parallel batches.
  const first = { transactionId, seq: 0 };
  await Promise.all([handler(sqsEvent(Array(copies).fill(first))), ...Array.from({ length: copies - 1 }, () => handler(sqsEvent([first])))]);
  // Mid-way: messages already delivered come again (redelivery after a slow worker, duplicates).
  await pause(1_000);
  const { pollSeq = 0 } = (await transactionStore.get(transactionId))!;
  expect(pollSeq).toBeGreaterThan(1);
  const again = [{ transactionId, seq: pollSeq - 1 }, { transactionId, seq: pollSeq - 2 }, { transactionId }];
  await Promise.all(Array.from({ length: copies }, () => handler(sqsEvent(again))));

  const final = await waitForFinal(relay, transactionId, 15_000);
  expect(final).toMatchObject({ status: 'COMPLETED', outcome: 'APPROVED' });
  const smartConnectId = String((final.result as Record<string, unknown>).smartConnectTransactionId);
  const polls = smartConnectPolls(relay).filter((p) => p.path.endsWith(smartConnectId));
  const gaps = polls.slice(1).map((p, i) => p.receivedAt - polls[i]!.receivedAt);
  // One chain: every gap is a whole interval (less a little timer slack), and the count is what one chain makes.
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(intervalMs - 30);
  const span = polls.at(-1)!.receivedAt - polls[0]!.receivedAt;
  expect(polls.length).toBeLessThanOrEqual(Math.floor(span / (intervalMs - 30)) + 1);
}, 30_000);
