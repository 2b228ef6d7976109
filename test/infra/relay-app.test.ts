import { beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { officialEnvironments } from '../../functions/shared/environment-guard.ts';
import { relayRoutes, relayWorkers } from '../../functions/routes.ts';
import { minimumPollIntervalMs, RuntimeEnv, type Stage } from '../../functions/shared/runtime-config.ts';
import { transactionTable } from '../../functions/shared/transaction-table.ts';
import { transactionTableDefinition } from '../../local/dynamodb-stand-in.ts';
import { gatewayProblems } from '../../infra/gateway-problems.ts';
import { defineRelayApp, type RelayApp } from '../../infra/relay-app.ts';
import { RelayStack } from '../../infra/relay-stack.ts';
import { stages, type StageConfig } from '../../infra/stages.ts';

const account = '111111111111';
const region = 'ap-southeast-2';
// Tests get the same feature flags as `cdk synth`, which reads them from cdk.json.
const cdkJsonContext = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: object }).context;

/** Bundling stays off in assertion-only apps; the last test (and `cdk synth`) really bundles. */
const testApp = (bundle = false) =>
  new App({
    builtinCloudFormationValidation: false,
    context: { ...cdkJsonContext, ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
  });

type Resources = Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; DependsOn?: string[] }>;

let app: App;
let relay: RelayApp;
const templates = {} as Record<Stage, Template>;

beforeAll(() => {
  app = testApp();
  relay = defineRelayApp(app, { stages, defaultAccount: account });
  // Synthesizes the whole app once, cdk-nag included: an unacknowledged finding would throw here.
  for (const stage of ['dev', 'prod'] as const) templates[stage] = Template.fromStack(relay.stacks[stage]);
});

const resourcesOf = (stage: Stage, type: string): Resources => templates[stage].findResources(type) as Resources;
const only = <T>(values: T[]): T => {
  expect(values).toHaveLength(1);
  return values[0]!;
};
const logicalId = (stage: Stage, construct: IConstruct): string =>
  relay.stacks[stage].getLogicalId(construct.node.defaultChild as CfnElement);
const handlers = [...relayRoutes, ...relayWorkers].map((f) => f.handler);

type Permissions = Record<string, string[]>;
const on = (resource: string, ...actions: string[]): Permissions => Object.fromEntries(actions.map((action) => [action, [resource]]));
const ownLogs = on('own logs', 'logs:CreateLogStream', 'logs:PutLogEvents');
const readParameter = on('parameter', 'ssm:GetParameter');
const readTransactions = { ...on('table', 'dynamodb:GetItem'), ...on('byRegister index', 'dynamodb:Query') };
const writeTransactions = on('table', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem');
const schedulePolls = on('poll queue', 'sqs:SendMessage');
// What the SQS event source grants its consumer.
const consumePolls = on('poll queue', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl');

/** Least privilege, written out per function: each action with the resources it may touch. */
const expectedPermissions: Record<string, Permissions> = {
  'pair-register': { ...ownLogs, ...readParameter },
  'create-transaction': { ...ownLogs, ...readParameter, ...writeTransactions, ...schedulePolls },
  'list-transactions': { ...ownLogs, ...readTransactions },
  'get-transaction': { ...ownLogs, ...readTransactions },
  'poll-transaction': { ...ownLogs, ...writeTransactions, ...schedulePolls, ...consumePolls },
};

/** A function's role as `action → resources`, each resource named (an unknown one shows as its JSON). */
function permissionsOf(stage: Stage, handler: string): Permissions {
  const stack = relay.stacks[stage];
  const fn = resourcesOf(stage, 'AWS::Lambda::Function')[logicalId(stage, stack.functions[handler]!)]!;
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  const table = { 'Fn::GetAtt': [logicalId(stage, stack.transactionsTable), 'Arn'] };
  const names = new Map<string, string>([
    [JSON.stringify({ 'Fn::GetAtt': [fn.Properties.LoggingConfig.LogGroup.Ref, 'Arn'] }), 'own logs'],
    [JSON.stringify(`arn:aws:ssm:${region}:${account}:parameter/smartconnect/${stage}/environment`), 'parameter'],
    [JSON.stringify(table), 'table'],
    [JSON.stringify({ 'Fn::Join': ['', [table, `/index/${transactionTable.byRegisterIndex.name}`]] }), 'byRegister index'],
    [JSON.stringify({ 'Fn::GetAtt': [logicalId(stage, stack.pollQueue.queue), 'Arn'] }), 'poll queue'],
  ]);
  const permissions: Permissions = {};
  const statements = Object.values(resourcesOf(stage, 'AWS::IAM::Policy'))
    .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
  for (const statement of statements) {
    // Plain allows only: no Deny, NotAction, NotResource or conditions to reason about.
    expect(Object.keys(statement).sort()).toEqual(['Action', 'Effect', 'Resource']);
    expect(statement.Effect).toBe('Allow');
    for (const action of [statement.Action].flat() as string[]) {
      for (const resource of [statement.Resource].flat()) {
        const name = names.get(JSON.stringify(resource)) ?? JSON.stringify(resource);
        permissions[action] = [...new Set([...(permissions[action] ?? []), name])].sort();
      }
    }
  }
  return permissions;
}

describe.each(['dev', 'prod'] as const)('the %s stage', (stage) => {
  const config = stages[stage];
  const other = stage === 'dev' ? 'prod' : 'dev';
  const parameterArn = `arn:aws:ssm:${region}:${account}:parameter/smartconnect/${stage}/environment`;

  test('is its own stack, named after the stage, in its account and region', () => {
    const stack = relay.stacks[stage];
    expect(stack.stackName).toBe(`SmartConnectRelay-${stage}`);
    expect([stack.account, stack.region]).toEqual([account, region]);
    expect(JSON.stringify(templates[stage].toJSON())).not.toContain(`/smartconnect/${other}/`);
    expect(JSON.stringify(templates[stage].toJSON())).not.toContain(`smartconnect-relay-${other}`);
  });

  test('holds the SmartConnect environment in its own SSM parameter', () => {
    templates[stage].resourceCountIs('AWS::SSM::Parameter', 1);
    templates[stage].hasResourceProperties('AWS::SSM::Parameter', {
      Name: `/smartconnect/${stage}/environment`,
      Type: 'String',
      Value: officialEnvironments[stage],
    });
  });

  test('has one function per route and worker', () => {
    expect(Object.keys(relay.stacks[stage].functions).sort()).toEqual([...handlers].sort());
    expect(Object.keys(resourcesOf(stage, 'AWS::Lambda::Function'))).toHaveLength(handlers.length);
    expect(Object.keys(expectedPermissions).sort()).toEqual([...handlers].sort());
  });

  test.each(handlers)('lets %s do exactly what it needs, on exactly its resources', (handler) => {
    expect(permissionsOf(stage, handler)).toEqual(expectedPermissions[handler]);
  });

  test('lets only create-transaction and poll-transaction change transactions, and only create-transaction and pair-register read SSM', () => {
    const withAny = (actions: string[]) => handlers.filter((h) => actions.some((a) => a in permissionsOf(stage, h))).sort();
    expect(withAny(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'])).toEqual(['create-transaction', 'poll-transaction']);
    expect(withAny(['ssm:GetParameter'])).toEqual(['create-transaction', 'pair-register']);
    expect(withAny(['dynamodb:Query'])).toEqual(['get-transaction', 'list-transactions']);
  });

  test('grants nothing through wildcards or managed policies', () => {
    for (const policy of Object.values(resourcesOf(stage, 'AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        expect(JSON.stringify([statement.Action, statement.Resource])).not.toContain('*');
      }
    }
    // So no AWSLambdaBasicExecutionRole either.
    for (const role of Object.values(resourcesOf(stage, 'AWS::IAM::Role'))) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('runs every function on Node.js 24, arm64, with its own log group', () => {
    const stack = relay.stacks[stage];
    const functions = resourcesOf(stage, 'AWS::Lambda::Function');
    const logGroups = resourcesOf(stage, 'AWS::Logs::LogGroup');
    for (const handler of handlers) {
      const fn = functions[logicalId(stage, stack.functions[handler]!)]!;
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: config.lambdaMemoryMb,
        // API Gateway's functions share the stage timeout; the worker's is sized by its queue.
        Timeout: handler === 'poll-transaction' ? stack.pollQueue.timing.timeoutSeconds : config.lambdaTimeoutSeconds,
      });
      expect(logGroups[fn.Properties.LoggingConfig.LogGroup.Ref]).toBeDefined();
    }
  });

  test('configures each function with exactly the settings its needs call for', () => {
    const stack = relay.stacks[stage];
    const functions = resourcesOf(stage, 'AWS::Lambda::Function');
    const base = {
      [RuntimeEnv.stage]: stage,
      [RuntimeEnv.smartConnectTimeoutMs]: String(config.smartConnectTimeoutMs),
      POWERTOOLS_SERVICE_NAME: 'smartconnect-relay',
      POWERTOOLS_LOG_LEVEL: config.logLevel,
      NODE_OPTIONS: '--enable-source-maps',
    };
    const smartConnect = {
      [RuntimeEnv.environmentParameter]: `/smartconnect/${stage}/environment`,
      [RuntimeEnv.environmentCacheSeconds]: String(config.environmentCacheSeconds),
    };
    // The name itself, not a Ref: the bundle tests run a function with its template environment.
    const reader = { [RuntimeEnv.transactionsTable]: `smartconnect-relay-${stage}-transactions` };
    const writer = {
      ...reader,
      [RuntimeEnv.transactionRetentionDays]: String(config.transactionRetentionDays),
      [RuntimeEnv.smartConnectTokenTtlSeconds]: String(config.smartConnectTokenTtlSeconds),
    };
    const scheduler = {
      [RuntimeEnv.pollQueueUrl]: { Ref: logicalId(stage, stack.pollQueue.queue) },
      [RuntimeEnv.poller]: 'sqs',
      [RuntimeEnv.pollIntervalMs]: String(config.pollIntervalMs),
    };
    const expected: Record<string, object> = {
      'pair-register': { ...base, ...smartConnect },
      'create-transaction': { ...base, ...smartConnect, ...writer, ...scheduler },
      'list-transactions': { ...base, ...reader },
      'get-transaction': { ...base, ...reader },
      'poll-transaction': { ...base, ...writer, ...scheduler },
    };
    for (const handler of handlers) {
      const fn = functions[logicalId(stage, stack.functions[handler]!)]!;
      expect([handler, fn.Properties.Environment.Variables]).toEqual([handler, expected[handler]]);
    }
    expect(config).toMatchObject({ transactionRetentionDays: 90, pollIntervalMs: 3000, smartConnectTokenTtlSeconds: 900 });
  });

  test('keeps transactions in one on-demand table shaped like the local stand-in, with TTL, PITR and KMS encryption', () => {
    expect(resourcesOf(stage, 'AWS::DynamoDB::Table')).toEqual({});
    const table = only(Object.values(resourcesOf(stage, 'AWS::DynamoDB::GlobalTable')));
    const name = `smartconnect-relay-${stage}-transactions`;
    const local = transactionTableDefinition(name);
    const byName = (a: { AttributeName?: string }, b: { AttributeName?: string }) => (a.AttributeName ?? '').localeCompare(b.AttributeName ?? '');
    expect({
      TableName: table.Properties.TableName,
      BillingMode: table.Properties.BillingMode,
      AttributeDefinitions: [...table.Properties.AttributeDefinitions].sort(byName),
      KeySchema: table.Properties.KeySchema,
      GlobalSecondaryIndexes: table.Properties.GlobalSecondaryIndexes,
    }).toEqual({ ...local, AttributeDefinitions: [...local.AttributeDefinitions!].sort(byName) });
    // The same schema, spelled out from the shared constants.
    expect(table.Properties.KeySchema).toEqual([{ AttributeName: transactionTable.partitionKey, KeyType: 'HASH' }]);
    expect(table.Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: transactionTable.byRegisterIndex.name,
        KeySchema: [
          { AttributeName: transactionTable.byRegisterIndex.partitionKey, KeyType: 'HASH' },
          { AttributeName: transactionTable.byRegisterIndex.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: transactionTable.ttlAttribute, Enabled: true });
    // The AWS-managed key: KMS, with no key of our own.
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    const replica = only(table.Properties.Replicas as Record<string, any>[]);
    expect(replica).toMatchObject({
      Region: region,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: stage === 'prod',
    });
    expect(replica.KMSMasterKeyId).toBeUndefined();
  });

  test(`${stage === 'prod' ? 'keeps' : 'deletes'} the transactions table with the stack`, () => {
    const table = only(Object.values(resourcesOf(stage, 'AWS::DynamoDB::GlobalTable')));
    const policy = stage === 'prod' ? 'Retain' : 'Delete';
    expect([table.DeletionPolicy, (table as { UpdateReplacePolicy?: string }).UpdateReplacePolicy]).toEqual([policy, policy]);
  });

  test('polls through an encrypted, TLS-only queue whose failures go to a dead-letter queue', () => {
    const stack = relay.stacks[stage];
    const queues = resourcesOf(stage, 'AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(2);
    const pollQueueId = logicalId(stage, stack.pollQueue.queue);
    const deadLetterId = logicalId(stage, stack.pollQueue.deadLetterQueue);
    const { timing } = stack.pollQueue;
    expect(queues[pollQueueId]!.Properties).toEqual({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: timing.visibilityTimeoutSeconds,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterId, 'Arn'] }, maxReceiveCount: 5 },
      Tags: expect.anything(),
    });
    expect(queues[deadLetterId]!.Properties).toEqual({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400, Tags: expect.anything() });
    for (const queueId of [pollQueueId, deadLetterId]) {
      templates[stage].hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queueId }],
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Deny',
              Action: 'sqs:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
            },
          ],
        },
      });
    }
  });

  test('feeds the worker one poll at a time, reporting failed items, with timeouts that fit the SmartConnect deadline and token', () => {
    const stack = relay.stacks[stage];
    const { timing } = stack.pollQueue;
    const mapping = only(Object.values(resourcesOf(stage, 'AWS::Lambda::EventSourceMapping')));
    expect(mapping.Properties).toEqual({
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stage, stack.pollQueue.queue), 'Arn'] },
      FunctionName: { Ref: logicalId(stage, stack.functions['poll-transaction']!) },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      Tags: expect.anything(),
    });
    const worker = resourcesOf(stage, 'AWS::Lambda::Function')[logicalId(stage, stack.functions['poll-transaction']!)]!;
    const queue = resourcesOf(stage, 'AWS::SQS::Queue')[logicalId(stage, stack.pollQueue.queue)]!;
    // One poll, its connect retries and the table and queue calls around it, per message in the batch.
    expect(worker.Properties.Timeout * 1000).toBeGreaterThanOrEqual(mapping.Properties.BatchSize * (config.smartConnectTimeoutMs + 4_000));
    // AWS guidance for Lambda event sources: at least six times the function timeout.
    expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * worker.Properties.Timeout);
    // A message the worker keeps failing on reaches the dead-letter queue (and the alarm) while SmartConnect still has the outcome.
    expect(timing.maxReceiveCount * queue.Properties.VisibilityTimeout).toBeLessThan(config.smartConnectTokenTtlSeconds);
  });

  test('alarms as soon as the dead-letter queue holds a message', () => {
    const stack = relay.stacks[stage];
    const alarm = only(Object.values(resourcesOf(stage, 'AWS::CloudWatch::Alarm')));
    expect(alarm.Properties).toMatchObject({
      AlarmName: `smartconnect-relay-${stage}-poll-dead-letters`,
      AlarmDescription: expect.stringContaining('PENDING'),
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stage, stack.pollQueue.deadLetterQueue), 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  test('keeps every log group for the stage retention', () => {
    const logGroups = Object.values(resourcesOf(stage, 'AWS::Logs::LogGroup'));
    // One per function, plus API access and execution logs.
    expect(logGroups).toHaveLength(handlers.length + 2);
    const deletion = stage === 'prod' ? 'Retain' : 'Delete';
    for (const group of logGroups) {
      expect(group.Properties.RetentionInDays).toBe(config.logRetention);
      expect(group.DeletionPolicy).toBe(deletion);
    }
  });

  test('serves a regional REST API stage named after the stage, throttled, with JSON access logs and error logs', () => {
    templates[stage].hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
    const apiStage = only(Object.values(resourcesOf(stage, 'AWS::ApiGateway::Stage')));
    expect(apiStage.Properties.StageName).toBe(stage);
    expect(apiStage.Properties.MethodSettings).toEqual([
      {
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: config.throttling.rateLimit,
        ThrottlingBurstLimit: config.throttling.burstLimit,
        LoggingLevel: 'ERROR',
        DataTraceEnabled: false,
        MetricsEnabled: true,
      },
    ]);
    const access = apiStage.Properties.AccessLogSetting;
    expect(JSON.stringify(access.DestinationArn)).toContain('ApiAccessLogs');
    expect(JSON.parse(access.Format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    // Execution logs go to a group the stack owns (so it has retention), created before the stage.
    const executionLogs = Object.entries(resourcesOf(stage, 'AWS::Logs::LogGroup')).find(([, g]) =>
      JSON.stringify(g.Properties.LogGroupName ?? '').includes('API-Gateway-Execution-Logs_'),
    );
    expect(apiStage.DependsOn).toContain(executionLogs![0]);
  });

  test('has one Lambda proxy method per route, on the route path', () => {
    const resources = resourcesOf(stage, 'AWS::ApiGateway::Resource');
    const pathOf = (parent: { Ref?: string }): string => {
      const resource = parent.Ref ? resources[parent.Ref] : undefined;
      return resource ? `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart}` : '';
    };
    const methods = Object.values(resourcesOf(stage, 'AWS::ApiGateway::Method')).map((m) => {
      expect(m.Properties.Integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
      return `${m.Properties.HttpMethod} ${pathOf(m.Properties.ResourceId)}`;
    });
    expect(methods.sort()).toEqual(relayRoutes.map((r) => `${r.method} ${r.path}`).sort());
  });

  test("answers API Gateway's own errors as RFC 9457 problems", () => {
    const responses = Object.values(resourcesOf(stage, 'AWS::ApiGateway::GatewayResponse'));
    const types = responses.map((r) => r.Properties.ResponseType);
    expect(types).toEqual(expect.arrayContaining(['DEFAULT_4XX', 'DEFAULT_5XX', 'THROTTLED']));
    expect(types).toHaveLength(gatewayProblems.length);
    for (const { Properties: response } of responses) {
      expect(response.ResponseParameters).toEqual({ 'gatewayresponse.header.Content-Type': "'application/problem+json'" });
      const filled = (response.ResponseTemplates['application/json'] as string)
        .replace('$context.requestId', 'req-1')
        .replace('$context.error.messageString', '"Too Many Requests"');
      expect(filled).not.toContain('$');
      const body = JSON.parse(filled);
      expect(body).toMatchObject({
        type: expect.stringMatching(/^urn:smartconnect-relay:problem:[a-z-]+$/),
        title: expect.any(String),
        detail: expect.any(String),
        code: expect.any(String),
        requestId: 'req-1',
      });
      // A status in the body must be the status sent; the fallbacks leave both to API Gateway.
      expect(body.status === undefined ? undefined : String(body.status)).toBe(response.StatusCode);
      if (!response.ResponseType.startsWith('DEFAULT_')) expect(body.status).toBeDefined();
    }
    templates[stage].hasResourceProperties('AWS::ApiGateway::GatewayResponse', { ResponseType: 'THROTTLED', StatusCode: '429' });
  });

  test('outputs the API URL and tags its resources with the stage', () => {
    templates[stage].hasOutput('ApiUrl', { Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }) });
    for (const type of ['AWS::Lambda::Function', 'AWS::SSM::Parameter', 'AWS::ApiGateway::RestApi', 'AWS::SQS::Queue', 'AWS::CloudWatch::Alarm']) {
      templates[stage].allResourcesProperties(type, { Tags: Match.anyValue() });
    }
    templates[stage].hasResourceProperties('AWS::Lambda::Function', {
      Tags: Match.arrayWith([{ Key: 'Stage', Value: stage }]),
    });
    templates[stage].hasResourceProperties('AWS::SSM::Parameter', { Tags: Match.objectLike({ Stage: stage }) });
  });

  test('synthesizes without CDK warnings or errors', () => {
    const annotations = Annotations.fromStack(relay.stacks[stage]);
    annotations.hasNoWarning('*', Match.anyValue());
    annotations.hasNoError('*', Match.anyValue());
  });
});

test('prod allows more traffic and keeps logs longer than dev', () => {
  expect(stages.prod.throttling.rateLimit).toBeGreaterThan(stages.dev.throttling.rateLimit);
  expect(stages.prod.throttling.burstLimit).toBeGreaterThan(stages.dev.throttling.burstLimit);
  expect(stages.prod.logRetention).toBeGreaterThan(stages.dev.logRetention);
});

test('prod protects its transactions table, dev deletes it with the stack', () => {
  expect(stages.prod.transactionsTable).toEqual({ removalPolicy: 'retain', deletionProtection: true });
  expect(stages.dev.transactionsTable).toEqual({ removalPolicy: 'destroy', deletionProtection: false });
});

describe('the API Gateway account setting', () => {
  test('is one stack per account and region, with a CloudWatch role, that both stages deploy after', () => {
    const accountStack = only([...relay.accountStacks]);
    const template = Template.fromStack(accountStack);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'apigateway.amazonaws.com' } })] },
    });
    template.hasResource('AWS::IAM::Role', { DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::ApiGateway::Account', { CloudWatchRoleArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } });
    for (const stack of Object.values(relay.stacks)) expect(stack.dependencies).toContain(accountStack);
  });

  test('gets a stack of its own in each further account', () => {
    const split = defineRelayApp(testApp(), { stages: { ...stages, prod: { ...stages.prod, account: '222222222222' } }, defaultAccount: account });
    expect(split.accountStacks.map((s) => [s.stackName, s.account])).toEqual([
      ['SmartConnectRelay-ApiGatewayAccount-ap-southeast-2', account],
      ['SmartConnectRelay-ApiGatewayAccount-222222222222-ap-southeast-2', '222222222222'],
    ]);
  });
});

describe('cdk-nag AwsSolutions', () => {
  test('reports nothing unacknowledged, neither errors nor warnings', () => {
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
    const report = JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((r: { violations: unknown[] }) => r.violations)).toEqual([]);
  });

  test('acknowledges only known rules, each on a resource (never a stack) with a reason', () => {
    const acknowledgements: [string, string][] = [];
    const visit = (construct: IConstruct) => {
      for (const entry of construct.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)) {
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          expect(Stack.isStack(construct) || construct === app).toBe(false);
          expect(reason.trim().length).toBeGreaterThan(30);
          acknowledgements.push([id.replace(/^annotation::/i, ''), reason]);
        }
      }
    };
    app.node.findAll().forEach(visit);
    expect([...new Set(acknowledgements.map(([id]) => id))].sort()).toEqual([
      'AwsSolutions-APIG2',
      'AwsSolutions-APIG3',
      'AwsSolutions-APIG4',
      'AwsSolutions-COG4',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    ]);
  });

  test('fails the synth on a new finding', () => {
    const failing = testApp();
    const { stacks } = defineRelayApp(failing, { stages, defaultAccount: account });
    new Role(stacks.dev, 'Sloppy', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') }).addToPolicy(
      new PolicyStatement({ actions: ['ssm:*'], resources: ['*'] }),
    );
    expect(() => failing.synth()).toThrow(/AwsSolutions-IAM5/);
  });
});

describe('a stage config the relay must refuse at synth', () => {
  const refuse = (config: StageConfig, message: RegExp) =>
    expect(() => new RelayStack(testApp(), 'Refused', { config })).toThrow(message);

  test('prod pointed anywhere but SmartConnect production', () => {
    refuse({ ...stages.prod, smartConnectEnvironment: officialEnvironments.dev }, /prod stage only talks to/);
    refuse({ ...stages.prod, smartConnectEnvironment: 'https://simulator.example.com/POS' }, /prod stage only talks to/);
  });

  test('dev pointed at SmartConnect production', () => {
    refuse({ ...stages.dev, smartConnectEnvironment: officialEnvironments.prod }, /must not use SmartConnect production/);
  });

  test('an environment without https', () => {
    refuse({ ...stages.dev, smartConnectEnvironment: 'http://localhost:8080/POS' }, /https/);
    refuse({ ...stages.dev, smartConnectEnvironment: 'not a url' }, /not a URL/);
  });

  test('timeouts that cut the handler or API Gateway short', () => {
    refuse({ ...stages.dev, lambdaTimeoutSeconds: 30 }, /29 s integration limit/);
    refuse({ ...stages.dev, lambdaTimeoutSeconds: 8 }, /must end before the Lambda timeout/);
  });

  test('a poll interval SmartConnect would rate-limit (under 2 s)', () => {
    expect(minimumPollIntervalMs).toBe(2_000);
    refuse({ ...stages.prod, pollIntervalMs: 1_999 }, /Stage prod: a poll interval of 1999 ms is below SmartConnect's minimum of 2000 ms/);
    refuse({ ...stages.dev, pollIntervalMs: 500 }, /Stage dev: a poll interval of 500 ms is below/);
    refuse({ ...stages.dev, pollIntervalMs: Number.NaN }, /poll interval/);
    expect(() => new RelayStack(testApp(), 'Accepted', { config: { ...stages.dev, pollIntervalMs: 2_000 } })).not.toThrow();
  });

  test('a retention or token lifetime that is not a positive whole number', () => {
    refuse({ ...stages.dev, transactionRetentionDays: 0 }, /transactionRetentionDays must be a whole number of days/);
    refuse({ ...stages.dev, transactionRetentionDays: 1.5 }, /transactionRetentionDays/);
    refuse({ ...stages.dev, smartConnectTokenTtlSeconds: -1 }, /smartConnectTokenTtlSeconds must be a whole number of seconds/);
  });
});

test('bundles each function locally as minified ESM with the require banner and a source map', () => {
  const bundling = testApp(true);
  const stack = new RelayStack(bundling, 'Bundled', { config: stages.dev, env: { account, region } });
  const assembly = bundling.synth();
  for (const fn of Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')) as Resources[string][]) {
    const dir = join(assembly.directory, `asset.${(fn.Properties.Code.S3Key as string).replace(/\.zip$/, '')}`);
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
    expect(code.startsWith("import { createRequire } from 'module';const require = createRequire(import.meta.url);")).toBe(true);
    expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
    // The AWS SDK is inlined (faster init, measured by npm run bench): nothing imports it at run time.
    expect(code).not.toMatch(/from\s*"@aws-sdk\//);
    expect(code).toContain('AmazonSSM');
  }
});
