/**
 * `npm run bench` (second part): what a transaction costs on AWS, and how late its outcome reaches
 * the POS, for a POS that polls GET /transactions/{id} every 2 s and for one that relies on
 * webhooks. A batch of transactions runs through the local relay against the simulator, with the
 * poll and webhook queues on the SQS stand-in; this script plays Lambda's SQS event source (one
 * message per invocation, as deployed) and times every invocation. See bench/meter.ts for what is
 * counted and the prices. Exits non-zero if webhooks do not cost less, or if the outcome latency
 * p95 exceeds one SmartConnect poll interval plus 0.5 s.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSEvent } from 'aws-lambda';
import { startLocalRelay, trustSimulatorCa } from '../local/local-relay.ts';
import { startSqsStandIn } from '../local/stand-ins/sqs.ts';
import { defaults, minimumPollIntervalMs, RuntimeEnv } from '#runtime/runtime-config.ts';
import { costOf, emptyUsage, gbSeconds, listPrices, meterLogs, startDynamoMeter, type Usage } from './meter.ts';

const transactions = Number(process.env.BENCH_TRANSACTIONS ?? 50);
/** The prod stage's function memory (infra/stages.ts). */
const memoryMb = 512;
/** Lambda's own START, END and REPORT lines per invocation. */
const platformLogBytes = 330;
/** One API Gateway access log line in the stage's JSON format. */
const accessLogBytes = 420;
const deviceResponseMs = 3_000;
const posPollMs = 2_000;
/**
 * Transactions start this far apart: all functions share this one process, so a burst would
 * stretch every measured duration with the others' work, which separate Lambda containers avoid.
 */
const staggerMs = 100;

let usage: Usage = emptyUsage();
const current = () => usage;

trustSimulatorCa();
const sqs = await startSqsStandIn();
let dynamoTarget = '';
const dynamoMeter = await startDynamoMeter(() => dynamoTarget, current);
const pollQueueUrl = sqs.queueUrl('bench-polls');
const webhookQueueUrl = sqs.queueUrl('bench-webhooks');
const relay = await startLocalRelay({
  simulator: { deviceResponseMs, pairingCodeTtlMs: 60 * 60_000 },
  env: {
    POWERTOOLS_LOG_LEVEL: 'INFO',
    // Deployed wiring: polls and webhook messages go through SQS (the stand-in).
    [RuntimeEnv.poller]: 'sqs',
    [RuntimeEnv.pollQueueUrl]: pollQueueUrl,
    [RuntimeEnv.webhookDelivery]: 'sqs',
    [RuntimeEnv.webhookQueueUrl]: webhookQueueUrl,
    [RuntimeEnv.webhookDeadLetterQueueUrl]: sqs.queueUrl('bench-webhook-dead-letters'),
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoMeter.endpoint,
  },
});
dynamoTarget = relay.dynamo.endpoint;

const { handler: pollWorker } = (await import('../functions/poll-transaction/handler.ts')) as { handler: (event: SQSEvent) => Promise<unknown> };
const webhooks = await import('#webhooks/webhooks-runtime.ts');
const { webhookQueue } = await import('#webhooks/publisher.ts');
const { createDeliveryWorker } = await import('#webhooks/delivery-worker.ts');
const { systemResolver } = await import('#webhooks/url-policy.ts');
const { logger } = await import('#runtime/container.ts');
const { verifyRelaySignature } = await import('#webhooks/signing.ts');
// The deliver-webhook function's worker, except that it may reach this script's loopback receiver
// (deployed stages refuse loopback; that policy is tested, not benchmarked).
const deliveryWorker = createDeliveryWorker({
  store: webhooks.endpointStore,
  queue: webhookQueue!,
  urlPolicy: { allowLoopback: true, resolve: systemResolver },
  log: (level, message, attributes) => logger[level](message, attributes),
});

// ---- Lambda's SQS event source, played here ------------------------------------------------
const inFlight = new Set<Promise<void>>();
async function invoke(run: () => Promise<unknown>): Promise<void> {
  const started = performance.now();
  await run();
  const u = current();
  u.lambdaInvocations += 1;
  u.lambdaGbSeconds += gbSeconds(performance.now() - started, memoryMb);
  u.logBytes += platformLogBytes;
  // The event source's receive and delete.
  u.sqsRequests += 2;
}
const pump = setInterval(() => {
  for (const message of sqs.takeDue(pollQueueUrl)) {
    const event = { Records: [{ messageId: randomUUID(), body: message.body }] } as unknown as SQSEvent;
    const run = invoke(() => pollWorker(event));
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
  }
  for (const message of sqs.takeDue(webhookQueueUrl)) {
    const run = invoke(() => deliveryWorker.handle(JSON.parse(message.body)));
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
  }
}, 10);

async function drained(): Promise<void> {
  while (inFlight.size > 0 || sqs.waiting(pollQueueUrl).length > 0 || sqs.waiting(webhookQueueUrl).length > 0) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// ---- the POS --------------------------------------------------------------------------------
const authorization = { authorization: `Bearer ${relay.apiKey}` };
async function api(path: string, init: RequestInit = {}): Promise<Record<string, any>> {
  const started = performance.now();
  const response = await fetch(`${relay.url}${path}`, { ...init, headers: { ...authorization, ...(init.headers as object) } });
  const body = (await response.json()) as Record<string, any>;
  const u = current();
  u.apiRequests += 1;
  u.lambdaInvocations += 1;
  // Client-observed, so an upper bound of the function's own duration.
  u.lambdaGbSeconds += gbSeconds(performance.now() - started, memoryMb);
  u.logBytes += platformLogBytes + accessLogBytes;
  return body;
}

async function pairRegister(): Promise<{ posRegisterId: string; posBusinessName: string; posVendorName: string }> {
  const register = { posRegisterId: `bench-${randomUUID()}`, posBusinessName: 'Bench Shop', posVendorName: 'LocalPOS' };
  await api(`/pairing/${relay.simulator!.issuePairingCode()}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...register, posRegisterName: 'Till' }) });
  return register;
}

const create = (register: { posRegisterId: string }) =>
  api('/transactions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    body: JSON.stringify({ transactionType: 'Card.Purchase', ...register, amountTotal: 1250 }),
  });

/** When the simulated terminal completed the transaction of this register (its POST + the device time). */
const completedAt = (posRegisterId: string) =>
  relay.simulator!.requests.find((r) => r.route === 'transaction' && r.form.POSRegisterID === posRegisterId)!.receivedAt + deviceResponseMs;

// Webhook receiver of the POS.
const arrivals = new Map<string, (at: number) => void>();
let badSignatures = 0;
let secret = '';
const receiver = createServer(async (req, res) => {
  let body = '';
  for await (const chunk of req) body += chunk;
  const at = Date.now();
  if (!verifyRelaySignature({ body, header: req.headers['relay-signature'] as string, secrets: secret })) badSignatures += 1;
  res.writeHead(204).end();
  const event = JSON.parse(body) as { type: string; data: { transaction: { id: string } } };
  if (event.type === 'transaction.completed') arrivals.get(event.data.transaction.id)?.(at);
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Setup, not metered: registers for both runs.
const registers = await Promise.all(Array.from({ length: 2 * transactions }, pairRegister));
await drained();

async function measure(pattern: () => Promise<number[]>): Promise<{ usage: Usage; latencies: number[] }> {
  usage = emptyUsage();
  // One key, prod's 300 s authorizer cache: one authorizer call for the whole batch.
  usage.authorizerInvocations = 1;
  const restore = meterLogs(current);
  const sentBefore = sqs.sent.length;
  try {
    const latencies = await pattern();
    await drained();
    usage.sqsRequests += sqs.sent.length - sentBefore;
    return { usage, latencies };
  } finally {
    restore();
  }
}

// A POS polling every 2 s until the outcome is final.
const polling = await measure(() =>
  Promise.all(
    registers.slice(0, transactions).map(async (register, i) => {
      await sleep(i * staggerMs);
      const { id } = await create(register);
      for (;;) {
        await sleep(posPollMs);
        const seen = await api(`/transactions/${id}`);
        if (seen.status === 'COMPLETED' || seen.status === 'UNKNOWN') return Date.now() - completedAt(register.posRegisterId);
      }
    }),
  ),
);

// A POS with a webhook endpoint (written to the store: this run's queues are wired as deployed,
// where the API would refuse a loopback URL).
secret = (await import('#webhooks/signing.ts')).newEndpointSecret();
const tenantId = (await relay.tenantStore.listTenants()).find((t) => t.posVendorNames.includes('LocalPOS'))?.tenantId;
await webhooks.endpointStore.put({
  id: randomUUID(),
  tenantId: tenantId!,
  url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
  events: ['transaction.completed', 'transaction.unknown', 'transaction.delayed'],
  secrets: [{ secret }],
  createdAt: new Date().toISOString(),
  revision: 0,
});
const pushed = await measure(() =>
  Promise.all(
    registers.slice(transactions).map(async (register, i) => {
      await sleep(i * staggerMs);
      const { id } = await create(register);
      const at = await new Promise<number>((resolve) => arrivals.set(id, resolve));
      return at - completedAt(register.posRegisterId);
    }),
  ),
);

clearInterval(pump);
receiver.close();
await relay.close();
await Promise.all([sqs.close(), dynamoMeter.close()]);

// ---- report ---------------------------------------------------------------------------------
const perMillion = (u: Usage) => Object.fromEntries(Object.entries(costOf(u)).map(([k, v]) => [k, (v / transactions) * 1e6]));
const pollingCost = perMillion(polling.usage);
const pushedCost = perMillion(pushed.usage);
const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
const usd = (x: number) => `$${x.toFixed(2)}`;
const per = (u: Usage, key: keyof Usage) => (u[key] / transactions).toFixed(2);

console.log(`\nCost model: ${transactions} transactions per POS pattern, ${memoryMb} MB functions, relay poll interval ${defaults.pollIntervalMs} ms`);
console.log(`Prices: ${listPrices.region} list prices, ${listPrices.asOf}\n`);
console.log(`${'per transaction'.padEnd(34)}${'POS polls every 2 s'.padStart(22)}${'webhooks'.padStart(14)}`);
for (const key of Object.keys(polling.usage) as (keyof Usage)[]) {
  console.log(`${key.padEnd(34)}${per(polling.usage, key).padStart(22)}${per(pushed.usage, key).padStart(14)}`);
}
console.log(`\n${'cost per million transactions'.padEnd(34)}${'POS polls every 2 s'.padStart(22)}${'webhooks'.padStart(14)}`);
for (const key of Object.keys(pollingCost)) console.log(`${key.padEnd(34)}${usd(pollingCost[key]!).padStart(22)}${usd(pushedCost[key]!).padStart(14)}`);
console.log(`${'total'.padEnd(34)}${usd(total(pollingCost)).padStart(22)}${usd(total(pushedCost)).padStart(14)}`);

const limit = minimumPollIntervalMs + 500;
const p = (xs: number[], q: number) => `${(percentile(xs, q) / 1000).toFixed(2)} s`;
console.log(`\nOutcome latency, terminal completion -> POS knows (p50 / p95):`);
console.log(`  POS polling every 2 s: ${p(polling.latencies, 0.5)} / ${p(polling.latencies, 0.95)}`);
console.log(`  webhook arrival:       ${p(pushed.latencies, 0.5)} / ${p(pushed.latencies, 0.95)}   (target p95 <= ${limit / 1000} s)`);
console.log(`  webhook signatures that did not verify: ${badSignatures}`);

const cheaper = total(pushedCost) < total(pollingCost);
const fastEnough = percentile(pushed.latencies, 0.95) <= limit;
console.log(`\nwebhooks cost less than 2 s polling: ${cheaper ? 'ok' : 'MISSED'}; webhook p95 within ${limit} ms: ${fastEnough ? 'ok' : 'MISSED'}`);
process.exitCode = cheaper && fastEnough && badSignatures === 0 ? 0 : 1;
