import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { startDynamoStandIn, transactionTableDefinition, type DynamoStandIn } from '../../local/stand-ins/dynamodb.ts';
import { simulatorCaPath } from '../../local/local-relay.ts';
import { startSimulator, type Simulator } from '../../local/simulator/index.ts';
import { startSqsStandIn, type SqsStandIn } from '../../local/stand-ins/sqs.ts';
import { startSsmStandIn, type SsmStandIn } from '../../local/stand-ins/ssm.ts';
import { RuntimeEnv } from '#runtime/runtime-config.ts';
import { invokeBundle, synthesizedFunctions, type SynthesizedFunction } from './invoke-bundle.ts';

// The dev stage's transaction functions, as synthesized, against the simulator and loopback
// stand-ins for SSM, DynamoDB and SQS: create → the queued poll message → the worker → GET.
let sim: Simulator;
let ssm: SsmStandIn;
let dynamo: DynamoStandIn;
let sqs: SqsStandIn;
const fn = (prefix: string): SynthesizedFunction => synthesizedFunctions('SmartConnectRelay-dev').find((f) => f.logicalId.startsWith(prefix))!;
const tenant = { principalId: 't-1', tenantId: 't-1', keyId: 'bundletest12', posVendorNames: '["TestPOS"]' };
const register = { posRegisterId: 'bundle-till', posBusinessName: 'Bundle Shop', posVendorName: 'TestPOS' };

beforeAll(async () => {
  sim = await startSimulator({ deviceResponseMs: 200, minPollIntervalMs: 0 });
  ssm = await startSsmStandIn({ '/smartconnect/dev/environment': sim.baseUrl });
  dynamo = await startDynamoStandIn([transactionTableDefinition(fn('CreateTransactionFunction').environment[RuntimeEnv.transactionsTable]!)]);
  sqs = await startSqsStandIn();
});
afterAll(async () => {
  await Promise.all([sim.close(), ssm.close(), dynamo.close(), sqs.close()]);
});

const queueUrl = () => `${sqs.endpoint}/000000000000/smartconnect-relay-dev-polls`;
const webhookQueueUrl = () => `${sqs.endpoint}/000000000000/smartconnect-relay-dev-webhooks`;
const env = () => ({
  AWS_ENDPOINT_URL_SSM: ssm.endpoint,
  AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
  AWS_ENDPOINT_URL_SQS: sqs.endpoint,
  // In the template this is a reference to the queue; the stand-in's URL takes its place.
  [RuntimeEnv.pollQueueUrl]: queueUrl(),
  [RuntimeEnv.webhookQueueUrl]: webhookQueueUrl(),
  NODE_EXTRA_CA_CERTS: fileURLToPath(simulatorCaPath),
});
const http = (method: string, path: string, extra: object) => ({
  httpMethod: method, path, headers: { 'Content-Type': 'application/json' }, queryStringParameters: null, isBase64Encoded: false,
  requestContext: { stage: 'dev', authorizer: tenant }, ...extra,
});

test('create → poll message → worker → GET, on the synthesized bundles', async () => {
  const pair = await invokeBundle(fn('PairRegisterFunction'), http('PUT', '/pairing/x', {
    resource: '/pairing/{pairingCode}', pathParameters: { pairingCode: sim.issuePairingCode() }, body: JSON.stringify({ ...register, posRegisterName: 'Till' }),
  }), env());
  expect(pair.statusCode).toBe(200);

  const createEvent = http('POST', '/transactions', {
    resource: '/transactions', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'bundle-sale-1' },
    body: JSON.stringify({ transactionType: 'Card.Purchase', ...register, amountTotal: 1258 }),
  });
  const created = await invokeBundle(fn('CreateTransactionFunction'), createEvent, env());
  expect(created.statusCode).toBe(202);
  const { id } = JSON.parse(created.body) as { id: string };
  expect(sqs.sent).toEqual([{ queueUrl: queueUrl(), body: JSON.stringify({ transactionId: id, seq: 0 }), delaySeconds: 2 }]);

  // A second container, the same key: the same transaction and no second POST.
  const replay = await invokeBundle(fn('CreateTransactionFunction'), createEvent, env());
  expect([replay.statusCode, JSON.parse(replay.body).id]).toEqual([200, id]);
  expect(sim.requests.filter((r) => r.route === 'transaction')).toHaveLength(1);

  await new Promise((resolve) => setTimeout(resolve, 300));
  const worker = await invokeBundle(fn('PollTransactionFunction'), { Records: [{ messageId: 'm-1', body: sqs.sent[0]!.body }] }, env());
  expect(worker).toEqual({ batchItemFailures: [] });
  // The stored outcome is published for webhook delivery: one fan-out message, no delay.
  const published = sqs.sent.filter((m) => m.queueUrl === webhookQueueUrl());
  expect(published.map((m) => [JSON.parse(m.body).kind, JSON.parse(m.body).event.type, JSON.parse(m.body).event.data.transaction.id, m.delaySeconds])).toEqual([
    ['fan-out', 'transaction.completed', id, 0],
  ]);

  const read = await invokeBundle(fn('GetTransactionFunction'), http('GET', `/transactions/${id}`, { resource: '/transactions/{transactionId}', pathParameters: { transactionId: id }, body: null }), env());
  expect(read.statusCode).toBe(200);
  expect(JSON.parse(read.body)).toMatchObject({ status: 'COMPLETED', outcome: 'APPROVED', result: { amountTotal: 1373, amountTip: 100, amountSurcharge: 15 } });

  // SQS delivers the same message again: the bundled worker drops it without polling.
  const polls = sim.requests.filter((r) => r.route === 'poll').length;
  const again = await invokeBundle(fn('PollTransactionFunction'), { Records: [{ messageId: 'm-2', body: sqs.sent[0]!.body }] }, env());
  expect(again).toEqual({ batchItemFailures: [] });
  expect(sim.requests.filter((r) => r.route === 'poll')).toHaveLength(polls);
}, 60_000);
