/**
 * `npm run tenant -- webhooks replay|redrive` against a webhooks table (dynalite) and queues (the
 * SQS stand-in), through the tenant CLI's dispatch, as `--stage dev` finds them by name.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startDynamoStandIn, transactionTableDefinition, webhookTableDefinition, type DynamoStandIn } from '../../local/stand-ins/dynamodb.ts';
import { createTransactionStore, type TransactionRecord } from '#transactions/transaction-store.ts';
import { eventIdFor } from '#webhooks/events.ts';
import { startSqsStandIn, type SqsStandIn } from '../../local/stand-ins/sqs.ts';
import { createEndpointStore } from '#webhooks/endpoint-store.ts';
import type { DeliveryMessage } from '#webhooks/delivery-queue.ts';
import type { WebhookEvent } from '#webhooks/events.ts';
import { runTenantCli } from '../../scripts/tenant-cli.ts';

const table = 'smartconnect-relay-dev-webhooks';
let dynamo: DynamoStandIn;
let sqs: SqsStandIn;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dynamo = await startDynamoStandIn([webhookTableDefinition(table), transactionTableDefinition('smartconnect-relay-dev-transactions')]);
  sqs = await startSqsStandIn();
  env = { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_ENDPOINT_URL_SQS: sqs.endpoint };
});
afterAll(async () => {
  await Promise.all([dynamo.close(), sqs.close()]);
});

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runTenantCli(['webhooks', ...argv], { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, env });
  return { code, stdout, stderr };
}

const event = {
  id: 'evt_cli_1',
  type: 'transaction.completed',
  createdAt: '2026-12-01T00:00:00.000Z',
  data: { transaction: { id: 'f1d2', status: 'COMPLETED' } },
} as unknown as WebhookEvent;
const queueUrl = () => sqs.queueUrl('smartconnect-relay-dev-webhooks');
const deadLetterUrl = () => sqs.queueUrl('smartconnect-relay-dev-webhook-dead-letters');

describe('npm run tenant -- webhooks', () => {
  test('replay sends a stored event to the tenant again, with its id, as a fan-out', async () => {
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    await createEndpointStore(DynamoDBDocumentClient.from(client), table).putEvent({ tenantId: 'tenant-a', event });
    client.destroy();
    const result = await run('replay', event.id, '--stage', 'dev');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual({ replayed: event.id, type: 'transaction.completed', transactionId: 'f1d2' });
    const [sent] = sqs.waiting(queueUrl());
    expect(JSON.parse(sent!.body)).toEqual({ kind: 'fan-out', tenantId: 'tenant-a', event });
  });

  test('replay --transaction publishes the event of its stored state, with the id it always has', async () => {
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const store = createTransactionStore(DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }), { tableName: 'smartconnect-relay-dev-transactions', retentionDays: 1 });
    const record: TransactionRecord = {
      id: '6f0c2a4e-0000-4000-8000-000000000001', tenantId: 'tenant-b', idempotencyKey: 'k', requestHash: 'h',
      request: { transactionType: 'Card.Purchase', posRegisterId: 'r', posBusinessName: 'b', posVendorName: 'v', amountTotal: 100 } as TransactionRecord['request'],
      lifecycle: 'UNKNOWN', outcome: 'UNKNOWN', unknownReason: 'test', createdAt: 'x', updatedAt: 'y', createdAtMs: 1, pollCount: 0, consecutiveErrors: 0,
    };
    await store.insert(record);
    client.destroy();
    const before = sqs.waiting(queueUrl()).length;
    const result = await run('replay', '--transaction', record.id, '--stage', 'dev');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const sent = JSON.parse(sqs.waiting(queueUrl())[before]!.body);
    expect(sent).toMatchObject({ kind: 'fan-out', tenantId: 'tenant-b', event: { id: eventIdFor(record.id, 'transaction.unknown'), type: 'transaction.unknown', data: { transaction: { id: record.id, status: 'UNKNOWN' } } } });
    expect(await run('replay', '--transaction', 'no-such', '--stage', 'dev')).toMatchObject({ code: 1, stderr: expect.stringContaining('no transaction no-such') });
  });

  test('replay of an unknown event fails with exit code 1', async () => {
    expect(await run('replay', 'evt_missing', '--stage', 'dev')).toMatchObject({ code: 1, stderr: expect.stringContaining('no event evt_missing') });
  });

  test('redrive moves every dead-lettered delivery back with a fresh 72 h window, and empties the dead-letter queue', async () => {
    const client = new SQSClient({ endpoint: sqs.endpoint, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const dead: DeliveryMessage = { kind: 'delivery', tenantId: 'tenant-a', endpointId: 'ep-1', event, attempt: 40, firstAttemptAtMs: 1, notBeforeMs: 2, lastError: 'answered 500' };
    for (let i = 0; i < 12; i += 1) await client.send(new SendMessageCommand({ QueueUrl: deadLetterUrl(), MessageBody: JSON.stringify({ ...dead, endpointId: `ep-${i}` }) }));
    client.destroy();
    const before = sqs.waiting(queueUrl()).length;
    const startedAt = Date.now();
    const result = await run('redrive', '--stage', 'dev');
    expect(result).toMatchObject({ code: 0, stdout: '{"redriven":12}\n' });
    expect(sqs.waiting(deadLetterUrl())).toEqual([]);
    const moved = sqs.waiting(queueUrl()).slice(before).map((m) => JSON.parse(m.body) as DeliveryMessage);
    expect(moved).toHaveLength(12);
    for (const message of moved) {
      expect(message).toEqual({ kind: 'delivery', tenantId: 'tenant-a', endpointId: expect.stringMatching(/^ep-/), event, attempt: 1, firstAttemptAtMs: expect.any(Number) });
      expect(message.firstAttemptAtMs).toBeGreaterThanOrEqual(startedAt);
    }
  });

  test('refuses a missing target or command with usage (exit 2)', async () => {
    expect(await run('replay', 'evt_1')).toMatchObject({ code: 2, stderr: expect.stringContaining('a target is required') });
    expect(await run('resend', '--stage', 'dev')).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown webhooks command') });
  });
});
