import { CfnOutput, Stack, Tags, Validations, type StackProps } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { checkEnvironment } from '../functions/shared/environment-guard.ts';
import { minimumPollIntervalMs } from '../functions/shared/runtime-config.ts';
import { relayRoutes, relayWorkers, type RelayRoute } from '../functions/routes.ts';
import { addGatewayProblems } from './gateway-problems.ts';
import { PollQueue } from './poll-queue.ts';
import { RelayFunction } from './relay-function.ts';
import type { StageConfig } from './stages.ts';
import { TransactionsTable } from './transactions-table.ts';

type Need = RelayRoute['needs'][number];

// API Gateway cuts every integration off at 29 s; a longer Lambda timeout would only hide that.
const integrationTimeoutSeconds = 29;

export interface RelayStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * One stage of the relay: SSM environment parameter, REST API, one function per route, the
 * transactions table, and the poll queue with the worker that follows each transaction.
 */
export class RelayStack extends Stack {
  readonly api: RestApi;
  readonly environmentParameter: StringParameter;
  readonly transactionsTable: TransactionsTable;
  readonly pollQueue: PollQueue;
  /** Every function of the stage, by handler folder (routes and workers). */
  readonly functions: Readonly<Record<string, RelayFunction>>;

  constructor(scope: Construct, id: string, props: RelayStackProps) {
    super(scope, id, props);
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
      deployOptions: {
        stageName: config.stage,
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
          }),
        ),
        // Errors only, and never request or response bodies: they carry pairing codes and payment data.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
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
    Validations.of(this.api.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'WAF is out of scope for this issue and comes with a later one; until then stage throttling from the stage config bounds the request rate.',
    });

    this.transactionsTable = new TransactionsTable(this, 'Transactions', { config });
    this.pollQueue = new PollQueue(this, 'PollQueue', { config });

    const functions: Record<string, RelayFunction> = {};
    // Each need of a route or worker is one binder: the function gets that access and nothing else.
    const addFunction = (handler: string, needs: readonly Need[], timeoutSeconds?: number): RelayFunction => {
      const fn = new RelayFunction(this, `${pascalCase(handler)}Function`, { handler, config, timeoutSeconds });
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
          default:
            throw new Error(`Function ${handler} needs "${need satisfies never}", which the stack cannot provide.`);
        }
      }
      functions[handler] = fn;
      return fn;
    };

    const noAuthYet = 'Authentication arrives with per-tenant API keys in issue #4; this issue ships the relay without it.';
    // The same route table the local server serves, so a route cannot exist in one only.
    for (const route of relayRoutes) {
      const fn = addFunction(route.handler, route.needs);
      const method = this.api.root.resourceForPath(route.path).addMethod(route.method, new LambdaIntegration(fn));
      Validations.of(method).acknowledge(
        { id: 'AwsSolutions-APIG4', reason: noAuthYet },
        {
          id: 'AwsSolutions-COG4',
          reason: 'Authorization will use per-tenant API keys (issue #4), not a Cognito user pool: POS clients are systems, not signed-in users.',
        },
      );
    }

    // The poll queue is the only trigger a worker can have, and two consumers would split its
    // messages: exactly one worker, sized by the queue (see PollQueue for the batch size).
    const workers: readonly { handler: string; needs: readonly Need[] }[] = relayWorkers;
    const [pollWorker, ...otherWorkers] = workers;
    if (!pollWorker || otherWorkers.length > 0 || !pollWorker.needs.includes('poll-queue')) {
      throw new Error(
        `The relay needs exactly one worker, consuming the poll queue (needs "poll-queue"); got ${JSON.stringify(workers.map((w) => w.handler))}.`,
      );
    }
    addFunction(pollWorker.handler, pollWorker.needs, this.pollQueue.timing.timeoutSeconds).addEventSource(this.pollQueue.eventSource());
    this.functions = functions;

    // A stable output name for scripts and integration tests (RestApi's own Endpoint output has a hashed id).
    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: `Base URL of the ${config.stage} relay API` });
  }
}

/** Refuses transaction settings that SmartConnect or DynamoDB would only reject (or misbehave on) after deployment. */
function checkTransactionSettings(config: StageConfig): void {
  const { stage, pollIntervalMs, transactionRetentionDays, smartConnectTokenTtlSeconds } = config;
  if (!Number.isFinite(pollIntervalMs) || pollIntervalMs < minimumPollIntervalMs) {
    throw new Error(
      `Stage ${stage}: a poll interval of ${pollIntervalMs} ms is below SmartConnect's minimum of ${minimumPollIntervalMs} ms between two polls of a transaction (closer polls are answered 429).`,
    );
  }
  if (!Number.isInteger(transactionRetentionDays) || transactionRetentionDays < 1) {
    throw new Error(`Stage ${stage}: transactionRetentionDays must be a whole number of days, at least 1 (got ${transactionRetentionDays}).`);
  }
  if (!Number.isInteger(smartConnectTokenTtlSeconds) || smartConnectTokenTtlSeconds < 1) {
    throw new Error(`Stage ${stage}: smartConnectTokenTtlSeconds must be a whole number of seconds, at least 1 (got ${smartConnectTokenTtlSeconds}).`);
  }
}

const pascalCase = (kebab: string): string =>
  kebab.replace(/(^|-)([a-z0-9])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());
