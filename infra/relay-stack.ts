import { CfnOutput, Duration, Stack, Tags, Validations, type StackProps } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { LambdaDeploymentGroup } from 'aws-cdk-lib/aws-codedeploy';
import {
  AccessLogFormat,
  ApiKeySourceType,
  EndpointType,
  IdentitySource,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  Period,
  RequestAuthorizer,
  RestApi,
  SecurityPolicy,
  type UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { corsAllowHeaders, corsExposeHeaders, corsMaxAgeSeconds } from '#http/cors.ts';
import { checkEnvironment } from '#smartconnect/environment-guard.ts';
import { relayAuthorizer, relayRoutes, relayWorkers, type RelayRoute } from '../functions/routes.ts';
import { addGatewayProblems } from './gateway-problems.ts';
import { metricService } from '#runtime/metric-names.ts';
import { PollQueue } from './poll-queue.ts';
import { RelayAlarms } from './relay-alarms.ts';
import { addLiveAliasDeployments } from './live-alias-deployments.ts';
import { RelayDashboard } from './relay-dashboard.ts';
import { pascalCase, RelayFunction } from './relay-function.ts';
import type { StageConfig } from './stages.ts';
import { checkAccessSettings, checkConcurrency, checkTransactionSettings } from './stage-settings-checks.ts';
import { TenantsTable } from './tenants-table.ts';
import { TransactionsTable } from './transactions-table.ts';
import { WebFirewall } from './web-firewall.ts';
import { WebhookDelivery } from './webhook-delivery.ts';

type Need = RelayRoute['needs'][number];

// API Gateway cuts every integration off at 29 s; a longer Lambda timeout would only hide that.
const integrationTimeoutSeconds = 29;

/**
 * The authorizer makes two consistent DynamoDB reads: a healthy call takes milliseconds. Past this,
 * Lambda stops it and API Gateway answers AUTHORIZER_FAILURE (the same 500 problem as a store failure).
 */
const authorizerTimeoutSeconds = 5;

/** The CORS lists and max age come from lib/http/cors.ts, shared with the handlers and the local server. */
const corsMaxAge = Duration.seconds(corsMaxAgeSeconds);

export interface RelayStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * One stage of the relay: SSM environment parameter, REST API behind a Lambda authorizer (per-tenant
 * API keys from the tenants table, metered by usage plans) and, when the stage config says so, AWS
 * WAF; one function per route, the transactions table, and the poll queue with the worker that
 * follows each transaction.
 */
export class RelayStack extends Stack {
  readonly api: RestApi;
  readonly environmentParameter: StringParameter;
  readonly transactionsTable: TransactionsTable;
  readonly tenantsTable: TenantsTable;
  readonly authorizer: RequestAuthorizer;
  /** `smartconnect-relay-<stage>`: the admin CLI adds each tenant's usage-plan API key to it (or gives the tenant a plan of its own). */
  readonly defaultUsagePlan: UsagePlan;
  /** Only on stages whose config enables WAF. */
  readonly webFirewall?: WebFirewall;
  readonly pollQueue: PollQueue;
  /** Webhook endpoints table, delivery queue, dead-letter queue and alarm. */
  readonly webhooks: WebhookDelivery;
  /** Every function of the stage, by handler folder (routes, workers and the authorizer). */
  readonly functions: Readonly<Record<string, RelayFunction>>;
  /** Every alarm, and the SNS topic they all notify. */
  readonly alarms: RelayAlarms;
  readonly dashboard: RelayDashboard;
  /** `ApiUrl`: the pipeline's smoke step reads it. */
  readonly apiUrlOutput: CfnOutput;
  /** CodeDeploy moves each function's `live` alias, by handler folder. */
  readonly deploymentGroups: Readonly<Record<string, LambdaDeploymentGroup>>;

  constructor(scope: Construct, id: string, props: RelayStackProps) {
    super(scope, id, { terminationProtection: props.config.terminationProtection, ...props });
    const { config } = props;
    // Same rule the Lambda applies at run time, so a wrong URL never reaches a deployment.
    const check = checkEnvironment(config.stage, config.smartConnectEnvironment);
    if (!check.ok) throw new Error(`Stage ${config.stage}: ${check.reason}`);
    if (config.lambdaTimeoutSeconds > integrationTimeoutSeconds) {
      throw new Error(
        `Stage ${config.stage}: a Lambda timeout of ${config.lambdaTimeoutSeconds} s exceeds API Gateway's ${integrationTimeoutSeconds} s integration limit.`,
      );
    }
    checkTransactionSettings(config);
    checkAccessSettings(config);
    Tags.of(this).add('Stage', config.stage);
    Tags.of(this).add('Service', 'smartconnect-relay');

    const parameterName = `/smartconnect/${config.stage}/environment`;
    this.environmentParameter = new StringParameter(this, 'SmartConnectEnvironment', {
      parameterName,
      stringValue: config.smartConnectEnvironment,
      description: `SmartConnect base URL of the ${config.stage} relay (checked by the environment guard)`,
    });
    // Functions bind by name: the owned parameter's name is a Ref, and the function's environment
    // (run as-is by the bundle tests) should carry the name itself.
    const environmentByName = StringParameter.fromStringParameterName(this, 'SmartConnectEnvironmentByName', parameterName);

    const logs = { retention: config.logRetention, removalPolicy: config.logRemovalPolicy };
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', logs);
    this.api = new RestApi(this, 'RelayApi', {
      restApiName: `smartconnect-relay-${config.stage}`,
      description: `SmartConnect relay (${config.stage})`,
      endpointTypes: [EndpointType.REGIONAL],
      // The account-wide CloudWatch role lives in ApiGatewayAccountStack (see there for why).
      cloudWatchRole: false,
      // Usage plans meter the key the authorizer returns (`usageIdentifierKey`, from the tenant record):
      // clients never send or even see a usage-plan key, so an X-API-Key header grants nothing.
      apiKeySourceType: ApiKeySourceType.AUTHORIZER,
      deployOptions: {
        stageName: config.stage,
        // The whole stage's ceiling, all tenants together; each tenant has its usage plan's limits too.
        throttlingRateLimit: config.throttling.rateLimit,
        throttlingBurstLimit: config.throttling.burstLimit,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            sourceIp: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            httpMethod: '$context.httpMethod',
            resourcePath: '$context.resourcePath',
            status: '$context.status',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationStatus: '$context.integration.status',
            integrationLatency: '$context.integration.latency',
            errorType: '$context.error.responseType',
            errorMessage: '$context.error.message',
            // Which POS platform sent it (empty for unauthenticated requests), and the dimensions
            // the authorizer-failure metric filter reads.
            tenantId: '$context.authorizer.tenantId',
            service: metricService,
            stage: '$context.stage',
          }),
        ),
        // Errors only, and never request or response bodies: they carry pairing codes and payment data.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        // X-Ray from the gateway through the authorizer and function to SmartConnect.
        tracingEnabled: true,
      },
    });
    // API Gateway would create this group itself, without retention; creating it first sets the stage's.
    const executionLogs = new LogGroup(this, 'ApiExecutionLogs', {
      ...logs,
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${config.stage}`,
    });
    this.api.deploymentStage.node.addDependency(executionLogs);
    addGatewayProblems(this.api);

    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'Requests are validated in each handler with its zod schema, so the deployed API and the local server refuse the same requests with the same RFC 9457 problem.',
    });
    if (config.waf.enabled) {
      this.webFirewall = new WebFirewall(this, 'WebFirewall', { config, apiStage: this.api.deploymentStage });
    } else {
      Validations.of(this.api.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason:
          `WAF disabled for ${config.stage} by stage config (cost)${config.stage === 'prod' ? '' : '; prod has it'}. ` +
          'Every route but the health check still needs a tenant API key, and stage and usage-plan throttling bound the request rate.',
      });
    }

    this.transactionsTable = new TransactionsTable(this, 'Transactions', { config });
    this.tenantsTable = new TenantsTable(this, 'Tenants', { config });
    this.pollQueue = new PollQueue(this, 'PollQueue', { config });
    this.webhooks = new WebhookDelivery(this, 'Webhooks', { config });

    const functions: Record<string, RelayFunction> = {};
    // Each need of a route or worker is one binder: the function gets that access and nothing else.
    const addFunction = (
      handler: string,
      needs: readonly Need[],
      options: { timeoutSeconds?: number; callsSmartConnect?: boolean } = {},
    ): RelayFunction => {
      const fn = new RelayFunction(this, `${pascalCase(handler)}Function`, { handler, config, ...options });
      for (const need of needs) {
        switch (need) {
          case 'smartconnect':
            fn.readSmartConnectEnvironment(environmentByName);
            fn.node.addDependency(this.environmentParameter);
            break;
          case 'transactions-read':
            fn.useTransactions(this.transactionsTable, 'read');
            break;
          case 'transactions-write':
            fn.useTransactions(this.transactionsTable, 'write');
            break;
          case 'poll-queue':
            fn.usePollQueue(this.pollQueue.queue);
            break;
          case 'webhooks':
            fn.useWebhookEndpoints(this.webhooks);
            break;
          case 'webhook-queue':
            // Only the delivery worker (which also manages endpoints' deliveries) dead-letters.
            fn.useWebhookQueue(this.webhooks, { deadLetters: needs.includes('webhooks') });
            break;
          default:
            throw new Error(`Function ${handler} needs "${need satisfies never}", which the stack cannot provide.`);
        }
      }
      functions[handler] = fn;
      return fn;
    };

    // One REQUEST authorizer for every non-public route. Its answer is cached per Authorization
    // header for the stage's authorizerCacheSeconds (the longest a revoked key keeps working); a
    // request without the header gets the 401 from API Gateway without the authorizer being called.
    const authorizerFunction = addFunction(relayAuthorizer.handler, [], { timeoutSeconds: authorizerTimeoutSeconds, callsSmartConnect: false });
    authorizerFunction.readTenants(this.tenantsTable);
    this.authorizer = new RequestAuthorizer(this, 'TenantKeyAuthorizer', {
      authorizerName: `smartconnect-relay-${config.stage}-tenant-key`,
      handler: authorizerFunction.live,
      identitySources: [IdentitySource.header('Authorization')],
      resultsCacheTtl: Duration.seconds(config.authorizerCacheSeconds),
    });

    // The same route table the local server serves, so a route cannot exist in one only.
    const methodsByPath = new Map<string, RelayRoute['method'][]>();
    for (const route of relayRoutes) {
      const fn = addFunction(route.handler, route.needs);
      fn.answerBrowserOrigins(config.corsAllowedOrigins);
      const resource = this.api.root.resourceForPath(route.path);
      methodsByPath.set(resource.path, [...(methodsByPath.get(resource.path) ?? []), route.method]);
      if (route.public) {
        const method = resource.addMethod(route.method, new LambdaIntegration(fn.live));
        Validations.of(method).acknowledge(
          { id: 'AwsSolutions-APIG4', reason: 'Public health check, returns only {status, stage}: no tenant data, no SmartConnect or AWS call.' },
          { id: 'AwsSolutions-COG4', reason: 'Public health check, returns only {status, stage}: it has no authorizer at all, Cognito or other.' },
        );
      } else {
        // apiKeyRequired makes the usage plans meter (and throttle) each tenant by the key the authorizer returns.
        const method = resource.addMethod(route.method, new LambdaIntegration(fn.live), { authorizer: this.authorizer, apiKeyRequired: true });
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-COG4',
          reason:
            'POS platforms are machine clients, authenticated by per-tenant API keys via the Lambda authorizer (tenants table), not Cognito users: there is no user to sign in.',
        });
      }
    }

    // Browser front-ends on the configured origins only; with none, no OPTIONS method at all. The
    // preflight (a mock integration, no Lambda) answers an allowed Origin with itself and anything
    // else with the first allowed origin, which the browser then refuses. Preflights carry no
    // credentials, so they have no authorizer; cdk-nag exempts such CORS methods from APIG4 and COG4.
    if (config.corsAllowedOrigins.length > 0) {
      for (const [path, methods] of methodsByPath) {
        this.api.root.resourceForPath(path).addCorsPreflight({
          allowOrigins: [...config.corsAllowedOrigins],
          allowMethods: methods,
          allowHeaders: [...corsAllowHeaders],
          // Only meaningful on actual responses, where the handlers send it too; harmless here.
          exposeHeaders: [...corsExposeHeaders],
          maxAge: corsMaxAge,
        });
      }
    }

    this.defaultUsagePlan = this.api.addUsagePlan('DefaultUsagePlan', {
      // The admin CLI finds the plan by this name: keep it, and keep the construct id (a replaced plan
      // would drop every tenant key the CLI attached to it).
      name: `smartconnect-relay-${config.stage}`,
      description: `Default per-tenant limits of the ${config.stage} relay; the admin CLI adds each tenant's usage-plan key`,
      throttle: { rateLimit: config.usagePlan.rateLimit, burstLimit: config.usagePlan.burstLimit },
      quota: { limit: config.usagePlan.dailyQuota, period: Period.DAY },
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });

    // Each queue has exactly one consumer (two would split its messages): the poll worker and the
    // webhook delivery worker, each sized by its queue.
    const workers: readonly { handler: string; needs: readonly Need[] }[] = relayWorkers;
    const [pollWorker, webhookWorker, ...otherWorkers] = workers;
    if (!pollWorker || !webhookWorker || otherWorkers.length > 0 || !pollWorker.needs.includes('poll-queue') || !webhookWorker.needs.includes('webhooks')) {
      throw new Error(
        `The relay needs exactly two workers, the poll worker (needs "poll-queue") and the webhook worker (needs "webhooks"); got ${JSON.stringify(workers.map((w) => w.handler))}.`,
      );
    }
    addFunction(pollWorker.handler, pollWorker.needs, { timeoutSeconds: this.pollQueue.timing.timeoutSeconds }).live.addEventSource(
      this.pollQueue.eventSource(config.concurrency.pollWorkerMax),
    );
    addFunction(webhookWorker.handler, webhookWorker.needs, { timeoutSeconds: this.webhooks.timing.timeoutSeconds, callsSmartConnect: false }).live.addEventSource(
      this.webhooks.eventSource(),
    );
    this.functions = functions;
    checkConcurrency(config, Object.keys(functions));

    this.alarms = new RelayAlarms(this, 'Alarms', {
      config,
      api: this.api,
      functions,
      pollQueue: this.pollQueue,
      tables: [this.transactionsTable, this.tenantsTable],
      accessLogs,
      ownedElsewhere: { 'webhook-dead-letters': this.webhooks.deadLetterAlarm },
    });
    this.dashboard = new RelayDashboard(this, 'Dashboard', { config, api: this.api, functions, pollQueue: this.pollQueue, alarms: this.alarms });

    this.deploymentGroups = addLiveAliasDeployments(this, config, functions, this.alarms);

    if (config.customDomain) {
      const domain = this.api.addDomainName('CustomDomain', {
        domainName: config.customDomain.domainName,
        certificate: Certificate.fromCertificateArn(this, 'CustomDomainCertificate', config.customDomain.certificateArn),
        endpointType: EndpointType.REGIONAL,
        securityPolicy: SecurityPolicy.TLS_1_2,
      });
      new CfnOutput(this, 'CustomDomainTarget', {
        value: domain.domainNameAliasDomainName,
        description: `Point ${config.customDomain.domainName} here (CNAME, or a Route 53 alias record)`,
      });
    }

    // A stable output name for scripts and integration tests (RestApi's own Endpoint output has a hashed id).
    this.apiUrlOutput = new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: `Base URL of the ${config.stage} relay API` });
    new CfnOutput(this, 'TenantsTableName', { value: this.tenantsTable.tableName, description: `Tenants and API key hashes of the ${config.stage} relay (admin CLI)` });
    new CfnOutput(this, 'DefaultUsagePlanId', {
      value: this.defaultUsagePlan.usagePlanId,
      description: `Usage plan the admin CLI adds ${config.stage} tenants' usage-plan keys to`,
    });
  }
}
