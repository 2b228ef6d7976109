/**
 * `npm run tenant -- webhooks <replay|redrive> …`: re-send webhook events of a deployed stage.
 * - `replay <event id>`: the stored event (kept 30 days) goes to the tenant's current endpoints again,
 *   with its original id, so receivers that saw it deduplicate it.
 * - `redrive`: every delivery in the dead-letter queue gets a fresh 72-hour retry window.
 * Targets: `--stage <dev|prod>` (its webhooks table and queues, found by name), or the table and
 * queues by hand (`--table`, `--queue-url`, `--dead-letter-queue-url`; stand-ins in tests).
 * `npm start` retries locally with compressed back-off and keeps its dead letters in memory.
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteMessageCommand, GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig } from '#runtime/aws-client-config.ts';
import { parseWebhookMessage, sqsWebhookQueue, type WebhookMessage } from '#webhooks/delivery-queue.ts';
import { createEndpointStore } from '#webhooks/endpoint-store.ts';
import { buildTransactionEvent } from '#webhooks/events.ts';
import { createTransactionStore } from '#transactions/transaction-store.ts';
import { webhookDeadLetterQueueName, webhookQueueName } from '#webhooks/webhook-table.ts';
import type { CliIo } from './tenant-cli.ts';

export const webhooksUsage = `Usage: npm run tenant -- webhooks <command> <target>

Commands:
  replay <event id>       Send a stored event (kept 30 days) to the tenant's endpoints again, same id.
  replay --transaction <id>
                          Publish the event of a transaction's stored state again (same event id),
                          e.g. after "webhook event not queued" in the logs.
  redrive                 Move every dead-lettered delivery back to the queue with a new 72 h window.

Targets:
  --stage <dev|prod>      The deployed stage's webhooks table and queues (AWS credentials needed).
  [--region <region>]     Default: the stage's region (ap-southeast-2).
  --table <name> --queue-url <url> [--dead-letter-queue-url <url>] [--transactions-table <name>]
                          Tables and queues named by hand.`;

const options = {
  stage: { type: 'string' },
  region: { type: 'string' },
  table: { type: 'string' },
  'queue-url': { type: 'string' },
  'dead-letter-queue-url': { type: 'string' },
  'transactions-table': { type: 'string' },
  transaction: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

class UsageError extends Error {}

export async function runWebhooksCli(argv: readonly string[], io: CliIo): Promise<number> {
  const out = (text: string) => io.stdout.write(`${text}\n`);
  const err = (text: string) => io.stderr.write(`${text}\n`);
  const clients: { destroy(): void }[] = [];
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const { values, positionals } = parsed;
    if (values.help) {
      out(webhooksUsage);
      return 0;
    }
    const [command, ...rest] = positionals;
    if (command !== 'replay' && command !== 'redrive') throw new UsageError(command ? `unknown webhooks command ${JSON.stringify(command)}` : 'a webhooks command is required');
    if (command === 'replay' && rest.length !== (values.transaction === undefined ? 1 : 0)) throw new UsageError('replay takes one event id, or --transaction <id>');
    if (command === 'redrive' && rest.length !== 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);

    const stage = values.stage;
    if (stage !== undefined && stage !== 'dev' && stage !== 'prod') throw new UsageError(`--stage must be dev or prod, not ${JSON.stringify(stage)}`);
    if (stage === undefined && (values.table === undefined || values['queue-url'] === undefined)) {
      throw new UsageError('a target is required: --stage <dev|prod>, or --table and --queue-url');
    }
    const region = values.region ?? (stage ? 'ap-southeast-2' : undefined);
    const sqs = new SQSClient({ ...(region ? { region } : {}), ...awsClientConfig(io.env, 'SQS') });
    const dynamo = new DynamoDBClient({ ...(region ? { region } : {}), ...awsClientConfig(io.env, 'DYNAMODB') });
    clients.push(sqs, dynamo);
    const urlOf = async (given: string | undefined, name: (stage: string) => string) =>
      given ?? (stage ? (await sqs.send(new GetQueueUrlCommand({ QueueName: name(stage) }))).QueueUrl : undefined);
    const queueUrl = (await urlOf(values['queue-url'], webhookQueueName))!;
    const deadLetterUrl = await urlOf(values['dead-letter-queue-url'], webhookDeadLetterQueueName);
    const queue = sqsWebhookQueue(sqs, queueUrl, deadLetterUrl ?? '');

    if (command === 'replay' && values.transaction !== undefined) {
      const transactions = createTransactionStore(DynamoDBDocumentClient.from(dynamo), {
        tableName: values['transactions-table'] ?? `smartconnect-relay-${stage}-transactions`,
        retentionDays: 1,
      });
      const record = await transactions.get(values.transaction);
      const event = record && buildTransactionEvent(record);
      if (!record || !event) {
        err(`error: ${record ? `transaction ${values.transaction} is ${record.lifecycle}: no event to publish yet` : `no transaction ${values.transaction}`}`);
        return 1;
      }
      await queue.send({ kind: 'fan-out', tenantId: record.tenantId, event }, 0);
      out(JSON.stringify({ replayed: event.id, type: event.type, transactionId: record.id }));
      return 0;
    }

    if (command === 'replay') {
      const store = createEndpointStore(DynamoDBDocumentClient.from(dynamo), values.table ?? `smartconnect-relay-${stage}-webhooks`);
      const stored = await store.getEvent(rest[0]!);
      if (!stored) {
        err(`error: no event ${rest[0]} (events are kept 30 days)`);
        return 1;
      }
      await queue.send({ kind: 'fan-out', tenantId: stored.tenantId, event: stored.event }, 0);
      out(JSON.stringify({ replayed: stored.event.id, type: stored.event.type, transactionId: stored.event.data.transaction.id }));
      return 0;
    }

    if (!deadLetterUrl) throw new UsageError('redrive needs --dead-letter-queue-url (or --stage)');
    let moved = 0;
    for (;;) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: deadLetterUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60, WaitTimeSeconds: 0 }));
      if (Messages.length === 0) break;
      for (const received of Messages) {
        const message: WebhookMessage = parseWebhookMessage(received.Body ?? '');
        // A fresh window: attempt 1 now, the 72 hours counted from here.
        const again: WebhookMessage =
          message.kind === 'delivery'
            ? { kind: 'delivery', tenantId: message.tenantId, endpointId: message.endpointId, event: message.event, attempt: 1, firstAttemptAtMs: Date.now() }
            : message;
        await queue.send(again, 0);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: deadLetterUrl, ReceiptHandle: received.ReceiptHandle }));
        moved += 1;
      }
    }
    out(JSON.stringify({ redriven: moved }));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      err(`error: ${error.message}\n\n${webhooksUsage}`);
      return 2;
    }
    err(`error: ${(error as Error).message}`);
    return 1;
  } finally {
    for (const client of clients) client.destroy();
  }
}
