import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Alias, Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { RuntimeEnv } from '#runtime/runtime-config.ts';
import { metricNamespace, metricService } from '#runtime/metric-names.ts';
import type { StageConfig } from './stages.ts';
import type { TenantsTable } from './tenants-table.ts';
import type { TransactionsTable } from './transactions-table.ts';
import type { WebhookDelivery } from './webhook-delivery.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

// got's dependencies require() Node builtins, which an ESM bundle cannot do without this shim.
const esmRequireBanner = "import { createRequire } from 'module';const require = createRequire(import.meta.url);";

export interface RelayFunctionProps {
  /** Folder under `functions/` whose `handler.ts` exports `handler`, e.g. `pair-register`. */
  readonly handler: string;
  readonly config: StageConfig;
  /**
   * `bundled` inlines the SDK version from package-lock.json: measured by `npm run bench`, its
   * module init is faster than loading the runtime's copy from node_modules (≈180 vs ≈250 ms
   * here), and the bundle runs anywhere, alone. `external` leaves `@aws-sdk/*` to the runtime.
   * @default 'bundled'
   */
  readonly awsSdk?: 'external' | 'bundled';
  /**
   * For functions API Gateway does not call (the poll worker sizes its own from its queue).
   * @default config.lambdaTimeoutSeconds
   */
  readonly timeoutSeconds?: number;
  /**
   * Whether the function calls SmartConnect: then its timeout must leave room for the SmartConnect
   * deadline, which it learns from its environment. The authorizer does not, and runs on a few seconds.
   * @default true
   */
  readonly callsSmartConnect?: boolean;
}

/** `read`: get one transaction and list a register's; `write`: create and change them (no list). */
export type TransactionsAccess = 'read' | 'write';

/** The alias API Gateway, the authorizer and the poll queue invoke; CodeDeploy moves it between versions. */
export const liveAliasName = 'live';

/** The one place every relay Lambda gets its runtime, bundling, logging, tracing and IAM defaults. */
export class RelayFunction extends NodejsFunction {
  /** `live`: points at the version that takes traffic. Invoke this, never the function itself. */
  readonly live: Alias;
  private readonly executionRole: Role;
  private readonly config: StageConfig;

  constructor(scope: Construct, id: string, props: RelayFunctionProps) {
    const { config, handler } = props;
    const timeoutSeconds = props.timeoutSeconds ?? config.lambdaTimeoutSeconds;
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(handler)) {
      throw new Error(`Handler "${handler}" must be a kebab-case folder name under functions/.`);
    }
    const callsSmartConnect = props.callsSmartConnect ?? true;
    if (callsSmartConnect && config.smartConnectTimeoutMs >= timeoutSeconds * 1000) {
      throw new Error(
        `Stage ${config.stage}: the SmartConnect deadline (${config.smartConnectTimeoutMs} ms) must end before the Lambda timeout of ${handler} (${timeoutSeconds} s), or the handler is killed before it can answer.`,
      );
    }
    // Created beside the function because super() needs them and `this` does not exist yet.
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: config.logRetention,
      removalPolicy: config.logRemovalPolicy,
    });
    // Own role instead of AWSLambdaBasicExecutionRole: it may write to its own log group only.
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${handler} (${config.stage}); writes its own logs only`,
    });
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    const sdkBundled = (props.awsSdk ?? 'bundled') === 'bundled';

    super(scope, id, {
      entry: join(repoRoot, 'functions', handler, 'handler.ts'),
      handler: 'handler',
      projectRoot: repoRoot,
      depsLockFilePath: join(repoRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: config.lambdaMemoryMb,
      timeout: Duration.seconds(timeoutSeconds),
      role,
      logGroup,
      // Active X-Ray: every invocation is traced (Powertools Tracer adds the SmartConnect and AWS calls).
      tracing: Tracing.ACTIVE,
      reservedConcurrentExecutions: config.concurrency.reserved[handler],
      environment: {
        [RuntimeEnv.stage]: config.stage,
        ...(callsSmartConnect ? { [RuntimeEnv.smartConnectTimeoutMs]: String(config.smartConnectTimeoutMs) } : {}),
        POWERTOOLS_SERVICE_NAME: metricService,
        POWERTOOLS_METRICS_NAMESPACE: metricNamespace,
        POWERTOOLS_LOG_LEVEL: config.logLevel,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: esmRequireBanner,
        minify: true,
        sourceMap: true,
        // Stack traces need the mappings, not a second copy of the sources.
        sourcesContent: false,
        bundleAwsSDK: sdkBundled,
        externalModules: sdkBundled ? [] : ['@aws-sdk/*'],
        // esbuild is a devDependency: bundle on this machine, never in Docker.
        forceDockerBundling: false,
      },
    });
    this.executionRole = role;
    this.config = config;
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Active X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions, so AWS requires "*"; nothing else in this role uses a wildcard.',
    });
    // A new version whenever the code or configuration changes; CodeDeploy shifts the alias to it.
    this.live = new Alias(this, 'Live', { aliasName: liveAliasName, version: this.currentVersion });
  }

  /**
   * Lets the function read the stage's SmartConnect environment: exactly `ssm:GetParameter` on
   * exactly this parameter (grantRead would add GetParameters, GetParameterHistory and DescribeParameters),
   * and tells the code its name and how long to cache the value.
   */
  readSmartConnectEnvironment(parameter: IStringParameter): void {
    this.allow(['ssm:GetParameter'], parameter.parameterArn);
    this.addEnvironment(RuntimeEnv.environmentParameter, parameter.parameterName);
    this.addEnvironment(RuntimeEnv.environmentCacheSeconds, String(this.config.environmentCacheSeconds));
  }

  /**
   * Lets the function use the transactions table, with exactly the item actions the store issues
   * (grantReadData/grantReadWriteData would add Scan, BatchGet/BatchWrite, DescribeTable and the
   * same on every index):
   * - `read`: GetItem on the table, Query on the `byRegister` index only;
   * - `write`: GetItem, PutItem, UpdateItem and DeleteItem on the table only (nothing on the index).
   * Writers also learn the retention (TTL of what they write) and SmartConnect's token lifetime
   * (how long a pending transaction can still be followed).
   */
  useTransactions(table: TransactionsTable, access: TransactionsAccess): void {
    if (access === 'read') {
      this.allow(['dynamodb:GetItem'], table.tableArn);
      this.allow(['dynamodb:Query'], table.byRegisterIndexArn);
    } else {
      this.allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], table.tableArn);
      this.addEnvironment(RuntimeEnv.transactionRetentionDays, String(this.config.transactionRetentionDays));
      this.addEnvironment(RuntimeEnv.smartConnectTokenTtlSeconds, String(this.config.smartConnectTokenTtlSeconds));
    }
    this.addEnvironment(RuntimeEnv.transactionsTable, table.plainName);
  }

  /**
   * Lets the function schedule polls: `sqs:SendMessage` on exactly this queue, with the queue URL,
   * the SQS poller and the stage's poll interval. The consumer additionally gets the queue as its
   * event source (PollQueue.eventSource), which grants receiving and deleting itself.
   */
  usePollQueue(queue: IQueue): void {
    this.allow(['sqs:SendMessage'], queue.queueArn);
    this.addEnvironment(RuntimeEnv.pollQueueUrl, queue.queueUrl);
    this.addEnvironment(RuntimeEnv.poller, 'sqs');
    this.addEnvironment(RuntimeEnv.pollIntervalMs, String(this.config.pollIntervalMs));
  }

  /**
   * Lets the function manage webhook endpoints and deliver events: exactly the item actions of the
   * endpoint store on exactly the webhooks table.
   */
  useWebhookEndpoints(webhooks: WebhookDelivery): void {
    this.allow(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'], webhooks.table.tableArn);
    this.addEnvironment(RuntimeEnv.webhooksTable, webhooks.tablePlainName);
  }

  /**
   * Lets the function queue webhook messages (`sqs:SendMessage` on the delivery queue); the
   * consumer also dead-letters deliveries itself, so it may send to the dead-letter queue too.
   */
  useWebhookQueue(webhooks: WebhookDelivery, options: { deadLetters: boolean }): void {
    this.allow(['sqs:SendMessage'], webhooks.queue.queueArn);
    this.addEnvironment(RuntimeEnv.webhookQueueUrl, webhooks.queue.queueUrl);
    this.addEnvironment(RuntimeEnv.webhookDelivery, 'sqs');
    if (options.deadLetters) {
      this.allow(['sqs:SendMessage'], webhooks.deadLetterQueue.queueArn);
      this.addEnvironment(RuntimeEnv.webhookDeadLetterQueueUrl, webhooks.deadLetterQueue.queueUrl);
    }
  }

  /**
   * Lets the function (the authorizer) look tenants and keys up: exactly `dynamodb:GetItem` on
   * exactly the tenants table (the store's `findActiveKey` reads one key item and one tenant item),
   * and tells the code the table's name.
   */
  readTenants(table: TenantsTable): void {
    this.allow(['dynamodb:GetItem'], table.tableArn);
    this.addEnvironment(RuntimeEnv.tenantsTable, table.plainName);
  }

  /**
   * Tells an HTTP function which browser origins it may answer with `Access-Control-Allow-Origin`
   * (comma-separated; empty: none). API Gateway answers the preflights; the handlers the requests.
   */
  answerBrowserOrigins(origins: readonly string[]): void {
    this.addEnvironment(RuntimeEnv.corsAllowedOrigins, origins.join(','));
  }

  private allow(actions: string[], resource: string): void {
    this.executionRole.addToPrincipalPolicy(new PolicyStatement({ actions, resources: [resource] }));
  }
}

/** `create-transaction` → `CreateTransaction`: the construct ids of a handler's function and deployment group. */
export const pascalCase = (kebab: string): string =>
  kebab.replace(/(^|-)([a-z0-9])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());
