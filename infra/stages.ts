import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { officialEnvironments } from '#smartconnect/environment-guard.ts';
import { defaults, type Stage } from '#runtime/runtime-config.ts';

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

export const stages: Readonly<Record<Stage, StageConfig>> = {
  dev: {
    ...sameForEveryStage,
    stage: 'dev',
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
    smartConnectEnvironment: officialEnvironments.prod,
    throttling: { rateLimit: 100, burstLimit: 200 },
    logRetention: RetentionDays.THREE_MONTHS,
    // Logs of real payments outlive a stack deletion.
    logRemovalPolicy: RemovalPolicy.RETAIN,
    logLevel: 'INFO',
    // More memory also buys CPU, which shortens cold starts at the till.
    lambdaMemoryMb: 512,
    // Payment records survive a stack deletion, and nobody deletes the table by accident.
    transactionsTable: { removalPolicy: RemovalPolicy.RETAIN, deletionProtection: true },
    tenantsTable: { removalPolicy: RemovalPolicy.RETAIN, deletionProtection: true },
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
