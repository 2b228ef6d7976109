/**
 * The environment variables a relay function is configured by. The CDK construct sets them
 * (infra/relay-function.ts), the local server sets them for its in-process handlers, and nothing
 * else reads process.env, so this file is the whole contract between infrastructure and code.
 */
export const RuntimeEnv = {
  /** `dev` or `prod`: selects the environment guard. */
  stage: 'RELAY_STAGE',
  /** Name of the SSM parameter holding the SmartConnect base URL, e.g. `/smartconnect/dev/environment`. */
  environmentParameter: 'SMARTCONNECT_ENVIRONMENT_PARAMETER',
  /** How long a warm container keeps the parameter value before asking SSM again (seconds). */
  environmentCacheSeconds: 'SMARTCONNECT_ENVIRONMENT_CACHE_SECONDS',
  /** Deadline for one SmartConnect call (milliseconds). */
  smartConnectTimeoutMs: 'SMARTCONNECT_TIMEOUT_MS',
  /** DynamoDB table holding transactions, idempotency keys and register locks. */
  transactionsTable: 'TRANSACTIONS_TABLE',
  /** How long a transaction (and its Idempotency-Key) is kept, in days. */
  transactionRetentionDays: 'TRANSACTION_RETENTION_DAYS',
  /** SQS queue URL of the polling loop. */
  pollQueueUrl: 'POLL_QUEUE_URL',
  /** `sqs` (deployed) or `in-process` (local runs and tests only). */
  poller: 'RELAY_POLLER',
  /** Time between two polls of one transaction (milliseconds; SmartConnect rate-limits under 2 s). */
  pollIntervalMs: 'POLL_INTERVAL_MS',
  /** How long after its POST SmartConnect's polling token lives (seconds). */
  smartConnectTokenTtlSeconds: 'SMARTCONNECT_TOKEN_TTL_SECONDS',
  /** DynamoDB table of tenants (POS platforms) and their API key hashes; read by the authorizer. */
  tenantsTable: 'TENANTS_TABLE',
  /** Browser origins allowed to call the API, comma-separated (empty: no CORS). */
  corsAllowedOrigins: 'CORS_ALLOWED_ORIGINS',
} as const;

export type Stage = 'dev' | 'prod';

export const defaults = {
  environmentCacheSeconds: 300,
  smartConnectTimeoutMs: 8_000,
  transactionRetentionDays: 90,
  pollIntervalMs: 3_000,
  smartConnectTokenTtlSeconds: 900,
} as const;

/** SmartConnect answers 429 to polls closer than this (docs/smartconnect.md §1). */
export const minimumPollIntervalMs = 2_000;
