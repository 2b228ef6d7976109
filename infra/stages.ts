import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { officialEnvironments } from '#smartconnect/environment-guard.ts';
import { defaults, type Stage } from '#runtime/runtime-config.ts';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** Everything that differs between stages, as data: the stack and constructs only read it. */
export interface StageConfig {
  readonly stage: Stage;
  /**
   * Target account (12 digits). Always named: the pipeline deploys each stage to its own account, and
   * a direct `npm run deploy:<stage>` refuses credentials of another account (infra/stage-checks.ts).
   */
  readonly account: string;
  readonly region: string;
  /** CloudFormation termination protection on the stage's relay stack. */
  readonly terminationProtection: boolean;
  /** Who hears the stage's alarms: each address gets an SNS email subscription (confirmed by a click). */
  readonly alarmEmails: readonly string[];
  readonly alarms: AlarmThresholds;
  /**
   * How CodeDeploy moves the functions' `live` alias to a new version: `canary` sends 10% of traffic
   * for 5 minutes first; both roll back when an alarm of the stage fires.
   */
  readonly deployment: 'canary' | 'all-at-once';
  readonly concurrency: ConcurrencyLimits;
  /** A custom domain for the API (an ACM certificate in the stage's region); unset: only the execute-api URL. */
  readonly customDomain?: { readonly domainName: string; readonly certificateArn: string };
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
  readonly transactionsTable: TableProtection;
  /** The same for the tenants table (tenants and their key hashes): losing it locks every POS platform out. */
  readonly tenantsTable: TableProtection;
  /**
   * How long API Gateway caches the authorizer's answer per Authorization header (0–3600 s), which is
   * also the longest a revoked key keeps working. 0 calls the authorizer on every request.
   */
  readonly authorizerCacheSeconds: number;
  /**
   * Limits of the stage's default usage plan (`smartconnect-relay-<stage>`), which meters each tenant
   * separately by its usage-plan API key; the admin CLI gives a tenant its own plan for other limits.
   * Each must stay within the stage-wide `throttling`.
   */
  readonly usagePlan: { readonly rateLimit: number; readonly burstLimit: number; readonly dailyQuota: number };
  /**
   * Browser origins (`scheme://host[:port]`) whose CORS preflights the API answers and whose requests
   * the handlers answer with `Access-Control-Allow-Origin`. Empty: no CORS at all (POS servers need
   * none). Synth refuses `*`, paths, and http except `http://localhost` on dev.
   */
  readonly corsAllowedOrigins: readonly string[];
  /** AWS WAF in front of the API stage: managed rule groups plus a per-IP rate-based rule. */
  readonly waf: { readonly enabled: boolean; readonly rateLimitPer5Minutes: number };
}

/** Alarm thresholds of a stage. Each alarm looks at `periodMinutes`-long windows. */
export interface AlarmThresholds {
  readonly periodMinutes: number;
  /** Share of API requests answered 5xx (0–1). */
  readonly api5xxRate: number;
  /** p99 of API Gateway's latency, milliseconds. */
  readonly apiLatencyP99Ms: number;
  /** Failed invocations of one function within a period. */
  readonly functionErrors: number;
  /** Throttled invocations of one function within a period. */
  readonly functionThrottles: number;
  /** Authorizer failures (tenants table unreadable, authorizer crashed) within a period. */
  readonly authorizerFailures: number;
  /** Age of the oldest message in the poll queue, seconds: polls are falling behind. */
  readonly oldestPollMessageSeconds: number;
  /** Share of SmartConnect exchanges that failed (5xx, timeout, connection failure; 0–1). */
  readonly smartConnectErrorRate: number;
  /** Throttled DynamoDB requests on one table within a period. */
  readonly dynamoThrottles: number;
}

/** Concurrency caps: the poll worker must not starve the functions the tills call. */
export interface ConcurrencyLimits {
  /** Most concurrent poll-worker invocations the SQS event source starts (2–1000). */
  readonly pollWorkerMax: number;
  /** Reserved concurrency per function (handler folder name); a function not listed shares the account pool. */
  readonly reserved: Readonly<Record<string, number>>;
}

export interface TableProtection {
  readonly removalPolicy: RemovalPolicy;
  readonly deletionProtection: boolean;
}

/** What both stages share: a stage differs only where it says so below. */
const sameForEveryStage = {
  // Smartpay serves NZ and AU, so both stages run next to them.
  region: 'ap-southeast-2',
  lambdaTimeoutSeconds: 15,
  smartConnectTimeoutMs: defaults.smartConnectTimeoutMs,
  environmentCacheSeconds: defaults.environmentCacheSeconds,
  transactionRetentionDays: defaults.transactionRetentionDays,
  pollIntervalMs: defaults.pollIntervalMs,
  smartConnectTokenTtlSeconds: defaults.smartConnectTokenTtlSeconds,
} as const;

/** Alarm thresholds both stages share; prod tightens some below. */
const alarmDefaults: AlarmThresholds = {
  periodMinutes: 5,
  api5xxRate: 0.05,
  apiLatencyP99Ms: 10_000,
  functionErrors: 5,
  functionThrottles: 1,
  authorizerFailures: 1,
  oldestPollMessageSeconds: 600,
  smartConnectErrorRate: 0.25,
  dynamoThrottles: 1,
};

export const stages: Readonly<Record<Stage, StageConfig>> = {
  dev: {
    ...sameForEveryStage,
    stage: 'dev',
    // PLACEHOLDER account: replace with the dev account id before the first deploy (README, Deploy and promote).
    account: '111111111111',
    terminationProtection: false,
    // PLACEHOLDER address: the team that watches dev.
    alarmEmails: ['relay-dev-alarms@example.com'],
    alarms: alarmDefaults,
    // Test traffic only: a new version takes all traffic at once (alarms still roll it back).
    deployment: 'all-at-once',
    // Dev accounts often have a low concurrency quota: no reservations, a small poll cap.
    concurrency: { pollWorkerMax: 2, reserved: {} },
    // Point dev at a simulator here, or per synth with `-c devSmartConnectEnvironment=https://…`.
    smartConnectEnvironment: officialEnvironments.dev,
    throttling: { rateLimit: 10, burstLimit: 20 },
    logRetention: RetentionDays.ONE_WEEK,
    logRemovalPolicy: RemovalPolicy.DESTROY,
    logLevel: 'DEBUG',
    lambdaMemoryMb: 256,
    // Test data only: a dev stack deletes cleanly.
    transactionsTable: { removalPolicy: RemovalPolicy.DESTROY, deletionProtection: false },
    tenantsTable: { removalPolicy: RemovalPolicy.DESTROY, deletionProtection: false },
    // Short, so revoking a key is quick to try out.
    authorizerCacheSeconds: 60,
    // Within the stage's 10/20: one tenant cannot starve the others during a test.
    usagePlan: { rateLimit: 5, burstLimit: 10, dailyQuota: 10_000 },
    // A browser POS front-end in development (Vite's default port).
    corsAllowedOrigins: ['http://localhost:5173'],
    // Cost: a web ACL and its rules are billed monthly per stage; dev carries test traffic only.
    waf: { enabled: false, rateLimitPer5Minutes: 2_000 },
  },
  prod: {
    ...sameForEveryStage,
    stage: 'prod',
    // PLACEHOLDER account: replace with the prod account id before the first deploy (README, Deploy and promote).
    account: '222222222222',
    terminationProtection: true,
    // PLACEHOLDER address: whoever is on call for payments.
    alarmEmails: ['relay-prod-alarms@example.com'],
    alarms: {
      ...alarmDefaults,
      api5xxRate: 0.01,
      apiLatencyP99Ms: 5_000,
      functionErrors: 1,
      oldestPollMessageSeconds: 180,
      smartConnectErrorRate: 0.05,
    },
    // 10% of traffic on the new version for 5 minutes, then all of it, unless an alarm fires.
    deployment: 'canary',
    // The tills' own calls keep capacity however many polls are due; the worker is capped below that.
    concurrency: {
      pollWorkerMax: 20,
      reserved: { 'create-transaction': 50, 'get-transaction': 50, 'pair-register': 10, authorize: 50 },
    },
    smartConnectEnvironment: officialEnvironments.prod,
    throttling: { rateLimit: 100, burstLimit: 200 },
    logRetention: RetentionDays.THREE_MONTHS,
    // Logs of real payments outlive a stack deletion.
    // Retained on update and delete, but not when the very first create rolls back (a retry would
    // otherwise fail with "already exists").
    logRemovalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    logLevel: 'INFO',
    // More memory also buys CPU, which shortens cold starts at the till.
    lambdaMemoryMb: 512,
    // Payment records survive a stack deletion, and nobody deletes the table by accident.
    // Retained on update and delete, but not when the very first create rolls back.
    transactionsTable: { removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, deletionProtection: true },
    tenantsTable: { removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, deletionProtection: true },
    // API Gateway's default: one authorizer call (two DynamoDB reads) per key per 5 minutes.
    authorizerCacheSeconds: 300,
    // A POS platform's registers share its limits: 50 requests/s covers ~100 tills polling every 2 s.
    // The daily quota stops a runaway client (50/s all day would be 4.3 million), not normal use.
    usagePlan: { rateLimit: 50, burstLimit: 100, dailyQuota: 1_000_000 },
    // POS platforms call from their servers; a browser front-end gets its https origin added here.
    corsAllowedOrigins: [],
    // Per client IP: a POS platform's servers may send a whole tenant's traffic from one address, so
    // this sits above the default plan's sustained rate (50/s × 300 s = 15,000) and only stops floods.
    waf: { enabled: true, rateLimitPer5Minutes: 20_000 },
  },
};

/**
 * The delivery pipeline (stack `SmartConnectRelay-Pipeline`): where it runs and what it watches.
 * The connection is an AWS CodeConnections (CodeStar) connection to the Git host, created once in the
 * console; the values here are PLACEHOLDERS to replace before `npm run deploy:pipeline`.
 */
export interface PipelineConfig {
  readonly account: string;
  readonly region: string;
  /** ARN of the CodeConnections connection to the repository host. */
  readonly connectionArn: string;
  /** `owner/name` on the Git host. */
  readonly repository: string;
  readonly branch: string;
}

export const pipelineConfig: PipelineConfig = {
  // PLACEHOLDER: the tooling account (often the dev account).
  account: '111111111111',
  region: sameForEveryStage.region,
  connectionArn: 'arn:aws:codeconnections:ap-southeast-2:111111111111:connection/00000000-0000-0000-0000-000000000000',
  repository: 'example-org/smartconnect-relay',
  branch: 'main',
};
