import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { officialEnvironments } from '../functions/shared/environment-guard.ts';
import { defaults, type Stage } from '../functions/shared/runtime-config.ts';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** Everything that differs between stages, as data: the stack and constructs only read it. */
export interface StageConfig {
  readonly stage: Stage;
  /** Target account; unset means the app falls back to CDK_DEFAULT_ACCOUNT (the CLI's credentials). */
  readonly account?: string;
  readonly region: string;
  /** SmartConnect base URL written to `/smartconnect/<stage>/environment`; checked by the environment guard at synth. */
  readonly smartConnectEnvironment: string;
  /** API Gateway stage-wide throttling (steady requests per second, bucket size). */
  readonly throttling: { readonly rateLimit: number; readonly burstLimit: number };
  /** Retention and removal policy of every log group of the stage (Lambda, access and execution logs). */
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  readonly logLevel: LogLevel;
  readonly lambdaMemoryMb: number;
  readonly lambdaTimeoutSeconds: number;
  /** Deadline of one SmartConnect call in the handler; must end before the Lambda timeout. */
  readonly smartConnectTimeoutMs: number;
  readonly environmentCacheSeconds: number;
  /** Days a transaction (and its Idempotency-Key) is kept before DynamoDB's TTL deletes it. */
  readonly transactionRetentionDays: number;
  /** Time between two polls of one transaction; synth refuses less than SmartConnect's `minimumPollIntervalMs`. */
  readonly pollIntervalMs: number;
  /** How long after its POST SmartConnect's polling token (the polling URL) stays valid. */
  readonly smartConnectTokenTtlSeconds: number;
  /** What happens to the transactions table (payment records) when the stack is deleted or someone tries to delete it. */
  readonly transactionsTable: { readonly removalPolicy: RemovalPolicy; readonly deletionProtection: boolean };
}

// Smartpay serves NZ and AU, so both stages run next to them.
const region = 'ap-southeast-2';

export const stages: Readonly<Record<Stage, StageConfig>> = {
  dev: {
    stage: 'dev',
    region,
    // Point dev at a simulator here, or per synth with `-c devSmartConnectEnvironment=https://…`.
    smartConnectEnvironment: officialEnvironments.dev,
    throttling: { rateLimit: 10, burstLimit: 20 },
    logRetention: RetentionDays.ONE_WEEK,
    logRemovalPolicy: RemovalPolicy.DESTROY,
    logLevel: 'DEBUG',
    lambdaMemoryMb: 256,
    lambdaTimeoutSeconds: 15,
    smartConnectTimeoutMs: defaults.smartConnectTimeoutMs,
    environmentCacheSeconds: defaults.environmentCacheSeconds,
    transactionRetentionDays: defaults.transactionRetentionDays,
    pollIntervalMs: defaults.pollIntervalMs,
    smartConnectTokenTtlSeconds: defaults.smartConnectTokenTtlSeconds,
    // Test data only: a dev stack deletes cleanly.
    transactionsTable: { removalPolicy: RemovalPolicy.DESTROY, deletionProtection: false },
  },
  prod: {
    stage: 'prod',
    region,
    smartConnectEnvironment: officialEnvironments.prod,
    throttling: { rateLimit: 100, burstLimit: 200 },
    logRetention: RetentionDays.THREE_MONTHS,
    // Logs of real payments outlive a stack deletion.
    logRemovalPolicy: RemovalPolicy.RETAIN,
    logLevel: 'INFO',
    // More memory also buys CPU, which shortens cold starts at the till.
    lambdaMemoryMb: 512,
    lambdaTimeoutSeconds: 15,
    smartConnectTimeoutMs: defaults.smartConnectTimeoutMs,
    environmentCacheSeconds: defaults.environmentCacheSeconds,
    transactionRetentionDays: defaults.transactionRetentionDays,
    pollIntervalMs: defaults.pollIntervalMs,
    smartConnectTokenTtlSeconds: defaults.smartConnectTokenTtlSeconds,
    // Payment records survive a stack deletion, and nobody deletes the table by accident.
    transactionsTable: { removalPolicy: RemovalPolicy.RETAIN, deletionProtection: true },
  },
};
