/**
 * What the transaction functions build once per container, on top of runtime.ts: the DynamoDB
 * store, the poll scheduler (SQS in AWS, a timer locally) and the transaction service. Pairing
 * does not import this, so its cold start carries no DynamoDB or SQS client.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { inProcessPollScheduler, sqsPollScheduler, type PollScheduler } from './poll-scheduler.ts';
import { problems } from '#http/problem.ts';
import { defaults, RuntimeEnv } from '#runtime/runtime-config.ts';
import { awsClientConfig } from '#runtime/aws-client-config.ts';
import { logger, positiveNumber, resolveSmartConnectEnvironment, smartConnect } from '#runtime/container.ts';
import { createTransactionService } from './transaction-service.ts';
import { createTransactionStore } from './transaction-store.ts';

const env = process.env;
const smartConnectTimeoutMs = positiveNumber(env[RuntimeEnv.smartConnectTimeoutMs], defaults.smartConnectTimeoutMs);

const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 3, ...awsClientConfig(env, 'DYNAMODB') }), {
  marshallOptions: { removeUndefinedValues: true },
});

const tableName = env[RuntimeEnv.transactionsTable];
export const transactionStore = createTransactionStore(dynamo, {
  tableName: tableName ?? '',
  retentionDays: positiveNumber(env[RuntimeEnv.transactionRetentionDays], defaults.transactionRetentionDays),
});

const inProcess = env[RuntimeEnv.poller] === 'in-process'
  ? inProcessPollScheduler((transactionId, error) => logger.error('poll failed; retrying', { transactionId, error: String(error) }))
  : undefined;

function scheduler(): PollScheduler {
  if (inProcess) return inProcess;
  const queueUrl = env[RuntimeEnv.pollQueueUrl];
  if (!queueUrl) {
    return { schedule: () => Promise.reject(problems.misconfigured('The relay has no poll queue configured, so it cannot follow transactions.')) };
  }
  return sqsPollScheduler(new SQSClient(awsClientConfig(env, 'SQS')), queueUrl);
}

export const pollScheduler = scheduler();

export const transactions = createTransactionService({
  store: transactionStore,
  smartConnect,
  resolveEnvironment: resolveSmartConnectEnvironment,
  scheduler: pollScheduler,
  pollIntervalMs: positiveNumber(env[RuntimeEnv.pollIntervalMs], defaults.pollIntervalMs),
  tokenTtlMs: positiveNumber(env[RuntimeEnv.smartConnectTokenTtlSeconds], defaults.smartConnectTokenTtlSeconds) * 1000,
  // One SmartConnect deadline (timeouts are never retried) plus room for fast connect retries,
  // SSM and DynamoDB: a create still SENDING after this has died mid-flight.
  sendDeadlineMs: smartConnectTimeoutMs + 10_000,
  log: (message, attributes) => logger.info(message, attributes),
});
inProcess?.start(transactions.pollOnce);

/** Fails fast, with a clear problem, when the function was deployed without its table. */
export function requireTransactionsTable(): void {
  if (!tableName) throw problems.misconfigured('The relay has no transactions table configured.');
}

/** Stops local polling and waits for polls under way (local server shutdown, end of a test file). */
export async function stopInProcessPoller(): Promise<void> {
  await inProcess?.stop();
}
