/**
 * Issue 7, item 7: SQS delivers at least once. The same poll message delivered 2–5 times to the
 * poll worker (at once, and again later) must still leave one poll chain per transaction: at most
 * one SmartConnect poll and one follow-up message per step, and the chain ends with the sale.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import type { SQSEvent } from 'aws-lambda';
import { startLocalRelay, type LocalRelay } from '../../local/local-relay.ts';
import { startSqsStandIn, type SqsStandIn } from '../../local/stand-ins/sqs.ts';
import { RuntimeEnv } from '#runtime/runtime-config.ts';
import { createTransaction, getTransaction, pairedRegister, smartConnectPolls } from '../support/transactions.ts';
import { createFigures } from './support/figures.ts';
import { reliabilitySeed, seededRandom } from './support/seed.ts';

const figures = createFigures(import.meta.url);
const random = seededRandom(reliabilitySeed());
let relay: LocalRelay;
let sqs: SqsStandIn;
let worker: (event: SQSEvent) => Promise<unknown>;

beforeAll(async () => {
  sqs = await startSqsStandIn();
  // The deployed poll loop: creates enqueue to SQS (the stand-in records them), and this test
  // plays the queue, delivering each message to the worker as often as it likes.
  relay = await startLocalRelay({
    simulator: { deviceResponseMs: 1_500, minPollIntervalMs: 0 },
    env: {
      [RuntimeEnv.poller]: 'sqs',
      [RuntimeEnv.pollQueueUrl]: `${sqs.endpoint}/000000000000/smartconnect-relay-dev-polls`,
      [RuntimeEnv.pollIntervalMs]: '200',
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
  });
  worker = ((await import('../../functions/poll-transaction/handler.ts')) as { handler: typeof worker }).handler;
}, 30_000);

afterAll(async () => {
  await relay?.close();
  await sqs?.close();
  figures.save();
});

const deliver = (body: string, times: number, messageId: string) =>
  Promise.all(Array.from({ length: times }, () => worker({ Records: [{ messageId, body }] } as unknown as SQSEvent)));

test.each([2, 3, 4, 5])('the first poll message delivered %i times at once, and every later one redelivered: one chain', async (copies) => {
  const register = await pairedRegister(relay);
  const sentBefore = sqs.sent.length;
  const created = await createTransaction(relay, { transactionType: 'Card.Purchase', ...register, amountTotal: 1_000 });
  figures.requests += 1;
  expect(created.status).toBe(202);
  expect(sqs.sent.length - sentBefore).toBe(1);
  const pollsBefore = smartConnectPolls(relay).length;

  let batch = [sqs.sent[sentBefore]!.body];
  let timesEach = copies;
  let steps = 0;
  let widest = 1;
  for (; batch.length > 0 && steps < 60; steps += 1) {
    const polls = smartConnectPolls(relay).length;
    const cursor = sqs.sent.length;
    await Promise.all(batch.map((body, i) => deliver(body, timesEach, `m-${steps}-${i}`)));
    // One live chain: one SmartConnect poll and at most one follow-up message per step.
    const fresh = sqs.sent.slice(cursor);
    widest = Math.max(widest, smartConnectPolls(relay).length - polls, fresh.length);
    batch = fresh.map((m) => m.body);
    // Chains that multiply would grow without bound: the verdict is already in.
    if (fresh.length > 8) break;
    // Later messages come back 1–3 times each, as SQS may redeliver any of them.
    timesEach = 1 + Math.floor(random() * 3);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  figures.maxUpstreamPostsPerKey = Math.max(figures.maxUpstreamPostsPerKey, 1);

  const final = await getTransaction(relay, String(created.body.id));
  figures.requests += 1;
  // Only a chain that ran its course can lose a transaction; one stopped for multiplying has not.
  if (batch.length === 0 && final.body.status !== 'COMPLETED') figures.transactionsLost += 1;
  expect({ widestStep: widest, status: final.body.status }).toEqual({ widestStep: 1, status: 'COMPLETED' });
  // One chain polls at most once per step.
  expect(smartConnectPolls(relay).length - pollsBefore).toBeLessThanOrEqual(steps);
}, 60_000);
