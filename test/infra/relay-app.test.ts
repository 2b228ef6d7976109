import { beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Method } from 'aws-cdk-lib/aws-apigateway';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { officialEnvironments } from '#smartconnect/environment-guard.ts';
import { relayAuthorizer, relayRoutes, relayWorkers } from '../../functions/routes.ts';
import { problemContentType } from '#http/problem.ts';
import { minimumPollIntervalMs, RuntimeEnv, type Stage } from '#runtime/runtime-config.ts';
import { authProblems, unauthorizedProblem } from '#tenants/tenant-context.ts';
import { tenantTable, tenantTableDefinition } from '#tenants/tenant-table.ts';
import { transactionTable } from '#transactions/transaction-table.ts';
import { transactionTableDefinition, webhookTableDefinition } from '../../local/stand-ins/dynamodb.ts';
import { deliveryPolicy } from '#webhooks/delivery.ts';
import { webhookTable } from '#webhooks/webhook-table.ts';
import { gatewayProblems, quotaRetryAfterSeconds } from '../../infra/gateway-problems.ts';
import { defineRelayApp, type RelayApp } from '../../infra/relay-app.ts';
import { RelayStack } from '../../infra/relay-stack.ts';
import { pipelineConfig, stages, type StageConfig } from '../../infra/stages.ts';
import { ipRateLimitRetryAfterSeconds } from '../../infra/web-firewall.ts';
import { pipelineFindings } from '../../infra/pipeline-stack.ts';

const account = '111111111111';
/** Both stages in one account here, as the tests have always assumed; split accounts are tested below. */
const testStages: Record<Stage, StageConfig> = { dev: { ...stages.dev, account }, prod: { ...stages.prod, account } };
const region = 'ap-southeast-2';
// Tests get the same feature flags as `cdk synth`, which reads them from cdk.json.
const cdkJsonContext = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: object }).context;

/** Bundling stays off in assertion-only apps; the last test (and `cdk synth`) really bundles. */
const testApp = (bundle = false) =>
  new App({
    builtinCloudFormationValidation: false,
    context: { ...cdkJsonContext, ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
  });

type Resources = Record<
  string,
  { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string; DependsOn?: string[] }
>;

let app: App;
let relay: RelayApp;
const templates = {} as Record<Stage, Template>;

beforeAll(() => {
  app = testApp();
  relay = defineRelayApp(app, { stages: testStages, pipeline: pipelineConfig });
  // Synthesizes the whole app once, cdk-nag included: an unacknowledged finding would throw here.
  for (const stage of ['dev', 'prod'] as const) templates[stage] = Template.fromStack(relay.stacks[stage]);
});

const resourcesOf = (stage: Stage, type: string): Resources => templates[stage].findResources(type) as Resources;
/** The event source mapping that feeds this function (through its live alias). */
const mappingFor = (stage: Stage, fn: IConstruct & { live?: IConstruct }) =>
  Object.values(resourcesOf(stage, 'AWS::Lambda::EventSourceMapping')).filter((m) =>
    [fn, fn.live].some((c) => c && JSON.stringify(m.Properties.FunctionName).includes(`"${logicalId(stage, c)}"`)),
  );
const mappingOf = (stage: Stage) => mappingFor(stage, relay.stacks[stage].functions['poll-transaction']!)[0]!;
const only = <T>(values: T[]): T => {
  expect(values).toHaveLength(1);
  return values[0]!;
};
const logicalId = (stage: Stage, construct: IConstruct): string =>
  relay.stacks[stage].getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
const routeHandlers = relayRoutes.map((r) => r.handler);
const handlers = [...routeHandlers, ...relayWorkers.map((w) => w.handler), relayAuthorizer.handler];
const tableNamed = (stage: Stage, name: string) =>
  only(Object.values(resourcesOf(stage, 'AWS::DynamoDB::GlobalTable')).filter((t) => t.Properties.TableName === name));

/** Every API method as `METHOD /path`, with its properties. */
function methodsOf(stage: Stage): [string, Record<string, any>][] {
  const resources = resourcesOf(stage, 'AWS::ApiGateway::Resource');
  const pathOf = (parent: { Ref?: string }): string => {
    const resource = parent.Ref ? resources[parent.Ref] : undefined;
    return resource ? `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart}` : '';
  };
  return Object.values(resourcesOf(stage, 'AWS::ApiGateway::Method')).map((m) => [
    `${m.Properties.HttpMethod} ${pathOf(m.Properties.ResourceId) || '/'}`,
    m.Properties,
  ]);
}

type Permissions = Record<string, string[]>;
const on = (resource: string, ...actions: string[]): Permissions => Object.fromEntries(actions.map((action) => [action, [resource]]));
// Active X-Ray: these two actions have no resource-level permissions (the only "*" allowed).
const ownLogs = { ...on('own logs', 'logs:CreateLogStream', 'logs:PutLogEvents'), ...on('"*"', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords') };
const readParameter = on('parameter', 'ssm:GetParameter');
const readTransactions = { ...on('table', 'dynamodb:GetItem'), ...on('byRegister index', 'dynamodb:Query') };
const writeTransactions = on('table', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem');
const schedulePolls = on('poll queue', 'sqs:SendMessage');
const publishWebhooks = on('webhook queue', 'sqs:SendMessage');
const webhookEndpoints = on('webhooks table', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query');
/** Each action with the union of the resources the parts grant it on. */
const merge = (...parts: Permissions[]): Permissions => {
  const merged: Permissions = {};
  for (const part of parts) for (const [action, resources] of Object.entries(part)) merged[action] = [...new Set([...(merged[action] ?? []), ...resources])].sort();
  return merged;
};
const readTenants = on('tenants table', 'dynamodb:GetItem');
// What the SQS event source grants its consumer.
const consumePolls = on('poll queue', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl');
const consumeWebhooks = on('webhook queue', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl');

/** Least privilege, written out per function: each action with the resources it may touch. */
const expectedPermissions: Record<string, Permissions> = {
  'pair-register': { ...ownLogs, ...readParameter },
  'create-transaction': merge(ownLogs, readParameter, writeTransactions, schedulePolls, publishWebhooks),
  'list-transactions': { ...ownLogs, ...readTransactions },
  'get-transaction': { ...ownLogs, ...readTransactions },
  'poll-transaction': merge(ownLogs, writeTransactions, schedulePolls, consumePolls, publishWebhooks),
  'create-webhook-endpoint': { ...ownLogs, ...webhookEndpoints },
  'list-webhook-endpoints': { ...ownLogs, ...webhookEndpoints },
  'delete-webhook-endpoint': { ...ownLogs, ...webhookEndpoints },
  'rotate-webhook-endpoint': { ...ownLogs, ...webhookEndpoints },
  // The worker dead-letters a delivery itself after 72 h, so it may send to the dead-letter queue too.
  'deliver-webhook': merge(ownLogs, webhookEndpoints, consumeWebhooks, on('webhook queue', 'sqs:SendMessage'), on('webhook dead letters', 'sqs:SendMessage')),
  health: { ...ownLogs },
  authorize: { ...ownLogs, ...readTenants },
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
    [JSON.stringify({ 'Fn::GetAtt': [logicalId(stage, stack.tenantsTable), 'Arn'] }), 'tenants table'],
    [JSON.stringify({ 'Fn::GetAtt': [logicalId(stage, stack.webhooks.table), 'Arn'] }), 'webhooks table'],
    [JSON.stringify({ 'Fn::GetAtt': [logicalId(stage, stack.webhooks.queue), 'Arn'] }), 'webhook queue'],
    [JSON.stringify({ 'Fn::GetAtt': [logicalId(stage, stack.webhooks.deadLetterQueue), 'Arn'] }), 'webhook dead letters'],
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

  test('has one function per route and worker, and the authorizer', () => {
    expect(Object.keys(relay.stacks[stage].functions).sort()).toEqual([...handlers].sort());
    expect(Object.keys(resourcesOf(stage, 'AWS::Lambda::Function'))).toHaveLength(handlers.length);
    expect(Object.keys(expectedPermissions).sort()).toEqual([...handlers].sort());
  });

  test.each(handlers)('lets %s do exactly what it needs, on exactly its resources', (handler) => {
    expect(permissionsOf(stage, handler)).toEqual(expectedPermissions[handler]);
  });

  test('lets only create-transaction and poll-transaction change transactions, and only create-transaction and pair-register read SSM', () => {
    const withAny = (actions: string[], on?: string) =>
      handlers.filter((h) => actions.some((a) => a in permissionsOf(stage, h) && (!on || permissionsOf(stage, h)[a]!.includes(on)))).sort();
    expect(withAny(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], 'table')).toEqual(['create-transaction', 'poll-transaction']);
    expect(withAny(['ssm:GetParameter'])).toEqual(['create-transaction', 'pair-register']);
    expect(withAny(['dynamodb:Query'], 'byRegister index')).toEqual(['get-transaction', 'list-transactions']);
    // Endpoint secrets: only the webhook functions touch the webhooks table.
    expect(handlers.filter((h) => Object.values(permissionsOf(stage, h)).some((r) => r.includes('webhooks table'))).sort()).toEqual(
      ['create-webhook-endpoint', 'delete-webhook-endpoint', 'deliver-webhook', 'list-webhook-endpoints', 'rotate-webhook-endpoint'],
    );
    // The authorizer reads tenants and nothing else; nothing else reads tenants (the admin CLI writes them with an operator's credentials).
    const readsTenants = handlers.filter((h) => Object.values(permissionsOf(stage, h)).some((resources) => resources.includes('tenants table')));
    expect(readsTenants).toEqual([relayAuthorizer.handler]);
  });

  test('grants nothing through wildcards or managed policies, but X-Ray and CodeDeploy', () => {
    for (const policy of Object.values(resourcesOf(stage, 'AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        if (statement.Resource === '*') expect([...statement.Action].sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
        else expect(JSON.stringify([statement.Action, statement.Resource])).not.toContain('*');
      }
    }
    // So no AWSLambdaBasicExecutionRole either; only CodeDeploy's role has AWS's policy for moving aliases.
    const deployRoleId = logicalId(stage, relay.stacks[stage].node.findChild('DeployRole'));
    for (const [id, role] of Object.entries(resourcesOf(stage, 'AWS::IAM::Role'))) {
      if (id === deployRoleId) expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toContain('service-role/AWSCodeDeployRoleForLambdaLimited');
      else expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
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
        // API Gateway's functions share the stage timeout; the worker's is sized by its queue, the authorizer's is short.
        Timeout:
          handler === 'poll-transaction'
            ? stack.pollQueue.timing.timeoutSeconds
            : handler === 'deliver-webhook'
              ? stack.webhooks.timing.timeoutSeconds
              : handler === relayAuthorizer.handler
                ? 5
                : config.lambdaTimeoutSeconds,
      });
      expect(logGroups[fn.Properties.LoggingConfig.LogGroup.Ref]).toBeDefined();
    }
  });

  test('configures each function with exactly the settings its needs call for', () => {
    const stack = relay.stacks[stage];
    const functions = resourcesOf(stage, 'AWS::Lambda::Function');
    const common = {
      [RuntimeEnv.stage]: stage,
      POWERTOOLS_SERVICE_NAME: 'smartconnect-relay',
      POWERTOOLS_METRICS_NAMESPACE: 'SmartConnectRelay',
      POWERTOOLS_LOG_LEVEL: config.logLevel,
      NODE_OPTIONS: '--enable-source-maps',
    };
    const base = { ...common, [RuntimeEnv.smartConnectTimeoutMs]: String(config.smartConnectTimeoutMs) };
    // Every HTTP function, so its answers carry Access-Control-Allow-Origin for exactly these origins.
    const http = { ...base, [RuntimeEnv.corsAllowedOrigins]: config.corsAllowedOrigins.join(',') };
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
    const webhooksTable = { [RuntimeEnv.webhooksTable]: `smartconnect-relay-${stage}-webhooks` };
    const publisher = { [RuntimeEnv.webhookQueueUrl]: { Ref: logicalId(stage, stack.webhooks.queue) }, [RuntimeEnv.webhookDelivery]: 'sqs' };
    const expected: Record<string, object> = {
      health: { ...http },
      'create-webhook-endpoint': { ...http, ...webhooksTable },
      'list-webhook-endpoints': { ...http, ...webhooksTable },
      'delete-webhook-endpoint': { ...http, ...webhooksTable },
      'rotate-webhook-endpoint': { ...http, ...webhooksTable },
      // No SmartConnect deadline: the delivery worker never calls SmartConnect.
      'deliver-webhook': {
        ...common,
        ...webhooksTable,
        ...publisher,
        [RuntimeEnv.webhookDeadLetterQueueUrl]: { Ref: logicalId(stage, stack.webhooks.deadLetterQueue) },
      },
      'pair-register': { ...http, ...smartConnect },
      'create-transaction': { ...http, ...smartConnect, ...writer, ...scheduler, ...publisher },
      'list-transactions': { ...http, ...reader },
      'get-transaction': { ...http, ...reader },
      'poll-transaction': { ...base, ...writer, ...scheduler, ...publisher },
      // No SmartConnect deadline: the authorizer never calls SmartConnect.
      authorize: { ...common, [RuntimeEnv.tenantsTable]: `smartconnect-relay-${stage}-tenants` },
    };
    for (const handler of handlers) {
      const fn = functions[logicalId(stage, stack.functions[handler]!)]!;
      expect([handler, fn.Properties.Environment.Variables]).toEqual([handler, expected[handler]]);
    }
    expect(config).toMatchObject({ transactionRetentionDays: 90, pollIntervalMs: 2000, smartConnectTokenTtlSeconds: 900 });
  });

  test('keeps transactions in one on-demand table shaped like the local stand-in, with TTL, PITR and KMS encryption', () => {
    expect(resourcesOf(stage, 'AWS::DynamoDB::Table')).toEqual({});
    expect(Object.keys(resourcesOf(stage, 'AWS::DynamoDB::GlobalTable'))).toHaveLength(3);
    const name = `smartconnect-relay-${stage}-transactions`;
    const table = tableNamed(stage, name);
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

  test('keeps tenants in an on-demand table of their own, named for the admin CLI and shaped like the tenant store, with PITR and KMS encryption', () => {
    const name = `smartconnect-relay-${stage}-tenants`;
    const table = tableNamed(stage, name);
    const local = tenantTableDefinition(name);
    expect({
      TableName: table.Properties.TableName,
      BillingMode: table.Properties.BillingMode,
      AttributeDefinitions: table.Properties.AttributeDefinitions,
      KeySchema: table.Properties.KeySchema,
    }).toEqual(local);
    expect(table.Properties.KeySchema).toEqual([{ AttributeName: tenantTable.partitionKey, KeyType: 'HASH' }]);
    // No index (listing is an admin Scan) and no TTL (revoked keys stay for the audit trail).
    expect(table.Properties.GlobalSecondaryIndexes).toBeUndefined();
    expect(table.Properties.TimeToLiveSpecification).toBeUndefined();
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    const replica = only(table.Properties.Replicas as Record<string, any>[]);
    expect(replica).toMatchObject({
      Region: region,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: stage === 'prod',
    });
    expect(replica.KMSMasterKeyId).toBeUndefined();
    templates[stage].hasOutput('TenantsTableName', { Value: { Ref: logicalId(stage, relay.stacks[stage].tenantsTable) } });
  });

  test(`${stage === 'prod' ? 'keeps' : 'deletes'} the transactions and tenants tables with the stack`, () => {
    // prod keeps them on update and delete, but not when their very first create rolls back (a retry
    // would then fail with "already exists").
    const [deletion, replace] = stage === 'prod' ? ['RetainExceptOnCreate', 'Retain'] : ['Delete', 'Delete'];
    for (const name of [`smartconnect-relay-${stage}-transactions`, `smartconnect-relay-${stage}-tenants`]) {
      const table = tableNamed(stage, name);
      expect([name, table.DeletionPolicy, table.UpdateReplacePolicy]).toEqual([name, deletion, replace]);
    }
  });

  test('polls through an encrypted, TLS-only queue whose failures go to a dead-letter queue', () => {
    const stack = relay.stacks[stage];
    const queues = resourcesOf(stage, 'AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(4);
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
    const mapping = only(mappingFor(stage, stack.functions['poll-transaction']!));
    expect(mapping.Properties).toEqual({
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stage, stack.pollQueue.queue), 'Arn'] },
      // The live alias (what CodeDeploy moves), never $LATEST.
      FunctionName: expect.objectContaining({ 'Fn::Join': ['', expect.arrayContaining([':live'])] }),
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      // Capped so due polls cannot starve the functions tills call.
      ScalingConfig: { MaximumConcurrency: config.concurrency.pollWorkerMax },
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
    expect(JSON.stringify(mappingOf(stage).Properties.FunctionName)).toContain(logicalId(stage, stack.functions['poll-transaction']!.live));
    const alarm = only(Object.values(resourcesOf(stage, 'AWS::CloudWatch::Alarm')).filter((a) => a.Properties.AlarmName === `smartconnect-relay-${stage}-poll-dead-letters`));
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

  test('keeps webhook endpoints and sent events in an on-demand table shaped like the local stand-in, with TTL, PITR and KMS encryption', () => {
    const name = `smartconnect-relay-${stage}-webhooks`;
    const table = tableNamed(stage, name);
    const local = webhookTableDefinition(name);
    expect({
      TableName: table.Properties.TableName,
      BillingMode: table.Properties.BillingMode,
      AttributeDefinitions: table.Properties.AttributeDefinitions,
      KeySchema: table.Properties.KeySchema,
    }).toEqual(local);
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: webhookTable.ttlAttribute, Enabled: true });
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    expect(only(table.Properties.Replicas as Record<string, any>[])).toMatchObject({
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: stage === 'prod',
    });
  });

  test('delivers webhooks from an encrypted, TLS-only queue with a dead-letter queue, one message per invocation', () => {
    const stack = relay.stacks[stage];
    const { timing } = stack.webhooks;
    const queues = resourcesOf(stage, 'AWS::SQS::Queue');
    const queueId = logicalId(stage, stack.webhooks.queue);
    const deadLetterId = logicalId(stage, stack.webhooks.deadLetterQueue);
    expect(queues[queueId]!.Properties).toEqual({
      QueueName: `smartconnect-relay-${stage}-webhooks`,
      SqsManagedSseEnabled: true,
      VisibilityTimeout: timing.visibilityTimeoutSeconds,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterId, 'Arn'] }, maxReceiveCount: 5 },
      Tags: expect.anything(),
    });
    expect(queues[deadLetterId]!.Properties).toEqual({
      QueueName: `smartconnect-relay-${stage}-webhook-dead-letters`,
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86_400,
      Tags: expect.anything(),
    });
    const worker = stack.functions['deliver-webhook']!;
    const mapping = only(mappingFor(stage, worker));
    expect(mapping.Properties).toEqual({
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: expect.objectContaining({ 'Fn::Join': ['', expect.arrayContaining([':live'])] }),
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      Tags: expect.anything(),
    });
    const fn = resourcesOf(stage, 'AWS::Lambda::Function')[logicalId(stage, worker)]!;
    // The 10 s delivery deadline fits, and SQS waits six function timeouts before redelivering.
    expect(fn.Properties.Timeout * 1000).toBeGreaterThan(deliveryPolicy.timeoutMs);
    expect(queues[queueId]!.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn.Properties.Timeout);
  });

  test('alarms as soon as a webhook delivery is dead-lettered', () => {
    const stack = relay.stacks[stage];
    const alarm = only(Object.values(resourcesOf(stage, 'AWS::CloudWatch::Alarm')).filter((a) => a.Properties.AlarmName.endsWith('-webhook-dead-letters')));
    expect(alarm.Properties).toMatchObject({
      AlarmName: `smartconnect-relay-${stage}-webhook-dead-letters`,
      AlarmDescription: expect.stringContaining('webhooks redrive'),
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stage, stack.webhooks.deadLetterQueue), 'QueueName'] } }],
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
    const deletion = stage === 'prod' ? 'RetainExceptOnCreate' : 'Delete';
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
    const methods = methodsOf(stage)
      .filter(([, m]) => m.HttpMethod !== 'OPTIONS')
      .map(([name, m]) => {
        expect(m.Integration).toMatchObject({ Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' });
        return name;
      });
    expect(methods.sort()).toEqual(relayRoutes.map((r) => `${r.method} ${r.path}`).sort());
  });

  test('puts the tenant-key authorizer, and a usage-plan key, on every method except GET /health and CORS preflights', () => {
    const authorizer = { Ref: logicalId(stage, relay.stacks[stage].authorizer) };
    const open: string[] = [];
    for (const [name, method] of methodsOf(stage)) {
      if (method.HttpMethod === 'OPTIONS') {
        // A preflight: mock integration, no credentials (browsers send none), no Lambda.
        expect([name, method.AuthorizationType, method.ApiKeyRequired, method.Integration.Type]).toEqual([name, 'NONE', false, 'MOCK']);
      } else if (method.AuthorizationType === 'CUSTOM') {
        expect([name, method.AuthorizerId, method.ApiKeyRequired]).toEqual([name, authorizer, true]);
      } else {
        expect([name, method.AuthorizerId, method.ApiKeyRequired ?? false]).toEqual([name, undefined, false]);
        open.push(name);
      }
    }
    // Spelled out rather than derived from the route table, so a route turned public shows up here.
    expect(open).toEqual(['GET /health']);
    expect(relayRoutes.filter((r) => r.public).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /health']);
  });

  test('authorizes with the authorize function on the Authorization header, caching its answer for the stage setting', () => {
    const stack = relay.stacks[stage];
    const authorizer = only(Object.values(resourcesOf(stage, 'AWS::ApiGateway::Authorizer')));
    expect(authorizer.Properties).toMatchObject({
      Name: `smartconnect-relay-${stage}-tenant-key`,
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: config.authorizerCacheSeconds,
      RestApiId: { Ref: logicalId(stage, stack.api) },
    });
    expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain(logicalId(stage, stack.functions[relayAuthorizer.handler]!.live));
    expect(config.authorizerCacheSeconds).toBe(stage === 'prod' ? 300 : 60);
    // API Gateway may invoke it, from this authorizer only.
    templates[stage].hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      // The live alias, which CodeDeploy moves between versions.
      FunctionName: { Ref: logicalId(stage, stack.functions[relayAuthorizer.handler]!.live) },
      Principal: 'apigateway.amazonaws.com',
      SourceArn: {
        'Fn::Join': ['', [`arn:aws:execute-api:${region}:${account}:`, { Ref: logicalId(stage, stack.api) }, '/authorizers/', { Ref: logicalId(stage, stack.authorizer) }]],
      },
    });
  });

  test('meters each tenant by the usage-plan key its authorizer returns, under a default plan with the stage limits', () => {
    const stack = relay.stacks[stage];
    templates[stage].hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'AUTHORIZER' });
    const plan = only(Object.values(resourcesOf(stage, 'AWS::ApiGateway::UsagePlan')));
    expect(plan.Properties).toMatchObject({
      UsagePlanName: `smartconnect-relay-${stage}`,
      Throttle: { RateLimit: config.usagePlan.rateLimit, BurstLimit: config.usagePlan.burstLimit },
      Quota: { Limit: config.usagePlan.dailyQuota, Period: 'DAY' },
      ApiStages: [{ ApiId: { Ref: logicalId(stage, stack.api) }, Stage: { Ref: logicalId(stage, stack.api.deploymentStage) } }],
    });
    // Keys come from the admin CLI, per tenant: none in the template.
    expect(resourcesOf(stage, 'AWS::ApiGateway::ApiKey')).toEqual({});
    templates[stage].hasOutput('DefaultUsagePlanId', { Value: { Ref: logicalId(stage, stack.defaultUsagePlan) } });
    // The stage-wide throttle stays, above any one tenant's.
    expect(config.usagePlan.rateLimit).toBeLessThanOrEqual(config.throttling.rateLimit);
    expect(config.usagePlan.burstLimit).toBeLessThanOrEqual(config.throttling.burstLimit);
  });

  test(config.corsAllowedOrigins.length ? 'answers CORS preflights for its configured origins only' : 'has no CORS preflight at all', () => {
    const preflights = methodsOf(stage).filter(([, m]) => m.HttpMethod === 'OPTIONS');
    if (config.corsAllowedOrigins.length === 0) {
      expect(preflights).toEqual([]);
      return;
    }
    const routePaths = [...new Set(relayRoutes.map((r) => r.path))].sort();
    expect(preflights.map(([name]) => name).sort()).toEqual(routePaths.map((p) => `OPTIONS ${p}`));
    for (const [name, method] of preflights) {
      const path = name.slice('OPTIONS '.length);
      const response = only(method.Integration.IntegrationResponses as Record<string, any>[]);
      expect([name, response.StatusCode, response.ResponseParameters]).toEqual([
        name,
        '204',
        {
          'method.response.header.Access-Control-Allow-Origin': `'${config.corsAllowedOrigins[0]}'`,
          'method.response.header.Vary': "'Origin'",
          'method.response.header.Access-Control-Allow-Headers': "'Authorization,Content-Type,Idempotency-Key'",
          'method.response.header.Access-Control-Allow-Methods': `'${relayRoutes.filter((r) => r.path === path).map((r) => r.method).join(',')}'`,
          'method.response.header.Access-Control-Max-Age': "'600'",
          'method.response.header.Access-Control-Expose-Headers': "'Location,Idempotent-Replayed,Retry-After,X-Request-Id'",
        },
      ]);
    }
  });

  test(config.waf.enabled ? 'puts AWS WAF in front of the stage' : 'has no WAF (disabled by its stage config)', () => {
    const acls = Object.values(resourcesOf(stage, 'AWS::WAFv2::WebACL'));
    const associations = Object.values(resourcesOf(stage, 'AWS::WAFv2::WebACLAssociation'));
    expect(config.waf.enabled).toBe(stage === 'prod');
    if (!config.waf.enabled) {
      expect([acls, associations]).toEqual([[], []]);
      return;
    }
    const stack = relay.stacks[stage];
    const acl = only(acls);
    expect(acl.Properties).toMatchObject({ Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
    const rules = acl.Properties.Rules as Record<string, any>[];
    expect(rules.map((r) => [r.Priority, r.Name])).toEqual([
      [0, 'AWSManagedRulesAmazonIpReputationList'],
      [1, 'RateLimitPerIp'],
      [2, 'AWSManagedRulesCommonRuleSet'],
      [3, 'AWSManagedRulesKnownBadInputsRuleSet'],
    ]);
    for (const rule of [acl.Properties, ...rules]) {
      expect(rule.VisibilityConfig).toMatchObject({ CloudWatchMetricsEnabled: true, MetricName: expect.stringMatching(/^smartconnect-relay-prod-/) });
      // Sampled requests would keep live API keys (the Authorization header) readable for hours.
      expect(rule.VisibilityConfig.SampledRequestsEnabled).toBe(false);
    }
    for (const rule of rules.filter((r) => r.Name.startsWith('AWSManaged'))) {
      expect(rule.OverrideAction).toEqual({ None: {} });
      expect(rule.Statement.ManagedRuleGroupStatement).toMatchObject({ VendorName: 'AWS', Name: rule.Name });
    }
    const common = rules.find((r) => r.Name === 'AWSManagedRulesCommonRuleSet')!;
    expect(common.Statement.ManagedRuleGroupStatement.RuleActionOverrides).toEqual([
      { Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } },
      { Name: 'NoUserAgent_HEADER', ActionToUse: { Count: {} } },
    ]);
    const rate = rules.find((r) => r.Name === 'RateLimitPerIp')!;
    expect(rate.Statement.RateBasedStatement).toEqual({ Limit: config.waf.rateLimitPer5Minutes, AggregateKeyType: 'IP', EvaluationWindowSec: 300 });
    expect(rate.Action.Block.CustomResponse).toEqual({
      ResponseCode: 429,
      CustomResponseBodyKey: 'ip-rate-limited',
      ResponseHeaders: [{ Name: 'Retry-After', Value: String(ipRateLimitRetryAfterSeconds) }],
    });
    const body = acl.Properties.CustomResponseBodies['ip-rate-limited'];
    expect(body.ContentType).toBe('APPLICATION_JSON');
    expect(JSON.parse(body.Content)).toMatchObject({ status: 429, code: 'ip-rate-limited', type: 'urn:smartconnect-relay:problem:ip-rate-limited' });
    const association = only(associations);
    expect(association.Properties.WebACLArn).toEqual({ 'Fn::GetAtt': [logicalId(stage, stack.webFirewall!.webAcl), 'Arn'] });
    const arn = JSON.stringify(association.Properties.ResourceArn);
    expect(arn).toContain(`:apigateway:${region}::/restapis/`);
    expect(arn).toContain(JSON.stringify({ Ref: logicalId(stage, stack.api) }));
    expect(arn).toContain(JSON.stringify({ Ref: logicalId(stage, stack.api.deploymentStage) }));
  });

  test("answers API Gateway's own errors as RFC 9457 problems", () => {
    const responses = Object.values(resourcesOf(stage, 'AWS::ApiGateway::GatewayResponse'));
    const types = responses.map((r) => r.Properties.ResponseType);
    expect(types).toEqual(expect.arrayContaining(['DEFAULT_4XX', 'DEFAULT_5XX', 'THROTTLED']));
    expect(types).toHaveLength(gatewayProblems.length);
    expect(new Set(types).size).toBe(types.length);
    for (const { Properties: response } of responses) {
      expect(response.ResponseParameters['gatewayresponse.header.Content-Type']).toBe(`'${problemContentType}'`);
      // A static origin would be wrong for every other configured origin (see gateway-problems.ts).
      expect(Object.keys(response.ResponseParameters).join()).not.toMatch(/Access-Control/i);
      const template = response.ResponseTemplates['application/json'] as string;
      expect(template).not.toContain('#');
      const filled = template.replace('$context.requestId', 'req-1').replace('$context.error.messageString', '"Too Many Requests"');
      expect(filled).not.toContain('$');
      const body = JSON.parse(filled);
      expect(body).toMatchObject({
        type: expect.stringMatching(/^urn:smartconnect-relay:problem:[a-z-]+$/),
        title: expect.any(String),
        detail: expect.any(String),
        code: expect.any(String),
      });
      // Every problem but the 401 (identical to the handlers') carries the request id for support.
      expect([response.ResponseType, body.requestId]).toEqual([response.ResponseType, response.ResponseType === 'UNAUTHORIZED' ? undefined : 'req-1']);
      // A status in the body must be the status sent; the fallbacks leave both to API Gateway.
      expect(body.status === undefined ? undefined : String(body.status)).toBe(response.StatusCode);
      if (!response.ResponseType.startsWith('DEFAULT_')) expect(body.status).toBeDefined();
    }
  });

  test('answers authentication, authorizer, key and limit failures with their status, code and headers', () => {
    const responses = Object.fromEntries(
      Object.values(resourcesOf(stage, 'AWS::ApiGateway::GatewayResponse')).map(({ Properties: r }) => {
        const body = JSON.parse(
          (r.ResponseTemplates['application/json'] as string).replace('$context.requestId', 'req-1').replace('$context.error.messageString', '"m"'),
        );
        const headers = Object.fromEntries(
          Object.entries(r.ResponseParameters as Record<string, string>)
            .filter(([name]) => name !== 'gatewayresponse.header.Content-Type')
            .map(([name, value]) => [name.replace('gatewayresponse.header.', ''), value.slice(1, -1)]),
        );
        return [r.ResponseType as string, { status: r.StatusCode as string, code: body.code as string, headers, body }];
      }),
    );
    const summary = (type: string) => ({ status: responses[type]!.status, code: responses[type]!.code, headers: responses[type]!.headers });
    expect({
      UNAUTHORIZED: summary('UNAUTHORIZED'),
      ACCESS_DENIED: summary('ACCESS_DENIED'),
      INVALID_API_KEY: summary('INVALID_API_KEY'),
      WAF_FILTERED: summary('WAF_FILTERED'),
      THROTTLED: summary('THROTTLED'),
      QUOTA_EXCEEDED: summary('QUOTA_EXCEEDED'),
      AUTHORIZER_FAILURE: summary('AUTHORIZER_FAILURE'),
      AUTHORIZER_CONFIGURATION_ERROR: summary('AUTHORIZER_CONFIGURATION_ERROR'),
      API_CONFIGURATION_ERROR: summary('API_CONFIGURATION_ERROR'),
    }).toEqual({
      UNAUTHORIZED: { status: '401', code: 'unauthorized', headers: { 'WWW-Authenticate': 'Bearer realm="smartconnect-relay"' } },
      ACCESS_DENIED: { status: '403', code: 'access-denied', headers: {} },
      INVALID_API_KEY: { status: '403', code: 'account-not-set-up', headers: {} },
      WAF_FILTERED: { status: '403', code: 'request-blocked', headers: {} },
      THROTTLED: { status: '429', code: 'rate-limited', headers: { 'Retry-After': '1' } },
      QUOTA_EXCEEDED: { status: '429', code: 'quota-exceeded', headers: { 'Retry-After': String(quotaRetryAfterSeconds) } },
      AUTHORIZER_FAILURE: { status: '500', code: 'authorizer-failure', headers: {} },
      AUTHORIZER_CONFIGURATION_ERROR: { status: '500', code: 'authorizer-failure', headers: {} },
      API_CONFIGURATION_ERROR: { status: '500', code: 'gateway-misconfigured', headers: {} },
    });
    // The gateway's 401 is the handlers' and the local server's, member for member and header for header.
    const local = authProblems.unauthorized();
    expect(responses.UNAUTHORIZED!.body).toEqual(local.toBody());
    expect(responses.UNAUTHORIZED!.headers).toEqual(local.headers);
    expect(responses.UNAUTHORIZED!.body).toMatchObject({ title: unauthorizedProblem.title, detail: unauthorizedProblem.detail });
    expect(responses.INVALID_API_KEY!.body.detail).toContain('ask support to finish setting up your account');
    expect(responses.QUOTA_EXCEEDED!.body.detail).toContain('00:00 UTC');
    expect(responses.AUTHORIZER_FAILURE!.body.detail).toMatch(/Try again; if it persists, contact support/);
  });

  test('outputs the API URL, tenants table and default usage plan, and tags its resources with the stage', () => {
    expect(Object.keys(templates[stage].findOutputs('*')).sort()).toEqual(expect.arrayContaining(['ApiUrl', 'DefaultUsagePlanId', 'TenantsTableName']));
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

test('prod protects its transactions and tenants tables, dev deletes them with the stack', () => {
  for (const table of ['transactionsTable', 'tenantsTable'] as const) {
    expect(stages.prod[table]).toEqual({ removalPolicy: 'retain-on-update-or-delete', deletionProtection: true });
    expect(stages.dev[table]).toEqual({ removalPolicy: 'destroy', deletionProtection: false });
  }
});

test('prod gives tenants larger limits, caches keys longer, has WAF and no browser origins; dev the opposite', () => {
  for (const limit of ['rateLimit', 'burstLimit', 'dailyQuota'] as const) expect(stages.prod.usagePlan[limit]).toBeGreaterThan(stages.dev.usagePlan[limit]);
  expect([stages.dev.authorizerCacheSeconds, stages.prod.authorizerCacheSeconds]).toEqual([60, 300]);
  expect([stages.dev.waf.enabled, stages.prod.waf.enabled]).toEqual([false, true]);
  expect(stages.prod.corsAllowedOrigins).toEqual([]);
  expect(stages.dev.corsAllowedOrigins).toEqual(['http://localhost:5173']);
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
    // The first stage in the account owns it; prod, in the same account here, deploys after dev.
    expect(accountStack.stackName).toBe(`SmartConnectRelay-ApiGatewayAccount-${account}-${region}`);
    expect(relay.stacks.dev.dependencies).toContain(accountStack);
    expect(relay.stages.prod.accountStack).toBeUndefined();
  });

  test('gets a stack of its own in each further account', () => {
    const split = defineRelayApp(testApp(), { stages: { ...testStages, prod: { ...stages.prod, account: '222222222222' } }, pipeline: pipelineConfig });
    expect(split.accountStacks.map((s) => [s.stackName, s.account])).toEqual([
      [`SmartConnectRelay-ApiGatewayAccount-${account}-ap-southeast-2`, account],
      ['SmartConnectRelay-ApiGatewayAccount-222222222222-ap-southeast-2', '222222222222'],
    ]);
    for (const stage of ['dev', 'prod'] as const) expect(split.stacks[stage].dependencies).toEqual([split.stages[stage].accountStack]);
  });
});

describe('cdk-nag AwsSolutions', () => {
  test('reports nothing unacknowledged, neither errors nor warnings', () => {
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
    const report = JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((r: { violations: unknown[] }) => r.violations)).toEqual([]);
  });

  /** Every acknowledgement in the app: rule id, reason and the construct it sits on. */
  const acknowledgements = () => {
    const found: { id: string; reason: string; construct: IConstruct }[] = [];
    for (const construct of app.node.findAll()) {
      for (const entry of construct.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)) {
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          found.push({ id: id.replace(/^annotation::/i, ''), reason, construct });
        }
      }
    }
    return found;
  };

  test('acknowledges only known rules, each on a resource (never a stack) with a reason', () => {
    for (const { construct, reason } of acknowledgements()) {
      expect(Stack.isStack(construct) || construct === app).toBe(false);
      expect(reason.trim().length).toBeGreaterThan(30);
    }
    const inPipeline = (a: { construct: IConstruct }) => Stack.of(a.construct) === relay.pipeline;
    expect([...new Set(acknowledgements().filter((a) => !inPipeline(a)).map(({ id }) => id))].sort()).toEqual([
      'AwsSolutions-APIG2',
      'AwsSolutions-APIG3',
      'AwsSolutions-APIG4',
      'AwsSolutions-COG4',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      // X-Ray's two actions, on each function role only.
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-SNS2',
    ]);
    // What CDK Pipelines generates: each acknowledgement matches one of the listed kinds, with that kind's reason.
    const pipelineAcks = acknowledgements().filter(inPipeline);
    expect(pipelineAcks.length).toBeGreaterThan(0);
    for (const { id, reason } of pipelineAcks) {
      const kind = pipelineFindings.find((f) => f.rule.test(id));
      expect([id, reason]).toEqual([id, kind?.reason]);
    }
  });

  test('acknowledges no authorization on GET /health only, Cognito on no method, and WAF only where the stage config disables it', () => {
    const on = (id: string) => acknowledgements().filter((a) => a.id === `AwsSolutions-${id}`);
    const methodName = (construct: IConstruct) => {
      const method = construct as unknown as Method;
      expect(method).toBeInstanceOf(Method);
      return `${method.httpMethod} ${method.resource.path}`;
    };
    for (const stage of ['dev', 'prod'] as const) {
      const inStage = <T extends { construct: IConstruct }>(list: T[]) => list.filter((a) => Stack.of(a.construct) === relay.stacks[stage]);
      expect(inStage(on('APIG4')).map((a) => methodName(a.construct))).toEqual(['GET /health']);
      expect(inStage(on('APIG4'))[0]!.reason).toMatch(/^Public health check, returns only \{status, stage\}/);
      // COG4 on every route method (no Cognito: machine clients with API keys); preflights need none, cdk-nag exempts them.
      expect(inStage(on('COG4')).map((a) => methodName(a.construct)).sort()).toEqual(relayRoutes.map((r) => `${r.method} ${r.path}`).sort());
      for (const { construct, reason } of inStage(on('COG4'))) {
        if (methodName(construct) !== 'GET /health') expect(reason).toMatch(/machine clients, authenticated by per-tenant API keys via the Lambda authorizer/);
      }
      const waf = inStage(on('APIG3'));
      if (stages[stage].waf.enabled) expect(waf).toEqual([]);
      else {
        expect(waf.map((a) => a.construct)).toEqual([relay.stacks[stage].api.deploymentStage]);
        expect(waf[0]!.reason).toMatch(/^WAF disabled for dev by stage config \(cost\); prod has it/);
      }
    }
  });

  test('fails the synth on a new finding', () => {
    // The pipeline synthesizes its stages when it is built, so the sloppy role goes into a stack of its own.
    const failing = testApp();
    Validations.of(failing).addPlugins(new AwsSolutionsChecks(failing));
    const stack = new RelayStack(failing, 'Sloppy', { config: stages.dev, env: { account, region } });
    new Role(stack, 'Sloppy', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') }).addToPolicy(
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

  test('a CORS origin that is a wildcard, not https, or not an origin', () => {
    refuse({ ...stages.dev, corsAllowedOrigins: ['*'] }, /Stage dev: CORS origin "\*" is a wildcard/);
    refuse({ ...stages.prod, corsAllowedOrigins: ['https://*.example.com'] }, /wildcard/);
    refuse({ ...stages.prod, corsAllowedOrigins: ['http://pos.example.com'] }, /does not use https/);
    refuse({ ...stages.dev, corsAllowedOrigins: ['http://127.0.0.1:5173'] }, /does not use https \(only dev may allow http:\/\/localhost\)/);
    refuse({ ...stages.prod, corsAllowedOrigins: ['http://localhost:5173'] }, /prod allows https origins only/);
    refuse({ ...stages.prod, corsAllowedOrigins: ['https://pos.example.com/'] }, /is not an origin .*did you mean "https:\/\/pos.example.com"/);
    refuse({ ...stages.prod, corsAllowedOrigins: ['https://pos.example.com/app'] }, /is not an origin/);
    refuse({ ...stages.prod, corsAllowedOrigins: ['pos.example.com'] }, /is not a URL/);
    refuse({ ...stages.prod, corsAllowedOrigins: ['https://pos.example.com', 'https://pos.example.com'] }, /twice/);
  });

  test('an authorizer cache, usage plan or WAF rate limit API Gateway or WAF would reject, or that no tenant could reach', () => {
    refuse({ ...stages.prod, authorizerCacheSeconds: 3601 }, /authorizerCacheSeconds must be a whole number of seconds from 0 to 3600/);
    refuse({ ...stages.dev, authorizerCacheSeconds: -1 }, /authorizerCacheSeconds/);
    refuse({ ...stages.dev, authorizerCacheSeconds: 1.5 }, /authorizerCacheSeconds/);
    refuse({ ...stages.dev, usagePlan: { ...stages.dev.usagePlan, dailyQuota: 0 } }, /usagePlan.dailyQuota must be a whole number, at least 1/);
    refuse({ ...stages.prod, usagePlan: { ...stages.prod.usagePlan, rateLimit: 101 } }, /usagePlan.rateLimit \(101\) exceeds the stage's throttling.rateLimit \(100\)/);
    refuse({ ...stages.prod, usagePlan: { ...stages.prod.usagePlan, burstLimit: 201 } }, /usagePlan.burstLimit/);
    refuse({ ...stages.prod, waf: { enabled: true, rateLimitPer5Minutes: 9 } }, /waf.rateLimitPer5Minutes must be a whole number from 10/);
  });

  test('a retention or token lifetime that is not a positive whole number', () => {
    refuse({ ...stages.dev, transactionRetentionDays: 0 }, /transactionRetentionDays must be a whole number of days/);
    refuse({ ...stages.dev, transactionRetentionDays: 1.5 }, /transactionRetentionDays/);
    refuse({ ...stages.dev, smartConnectTokenTtlSeconds: -1 }, /smartConnectTokenTtlSeconds must be a whole number of seconds/);
  });
});

test('answers each of several CORS origins with itself', () => {
  const origins = ['https://pos.example.com', 'https://backoffice.example.com', 'http://localhost:5173'];
  const stack = new RelayStack(testApp(), 'ManyOrigins', { config: { ...stages.dev, corsAllowedOrigins: origins }, env: { account, region } });
  const template = Template.fromStack(stack);
  const preflights = Object.values(template.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } })) as Resources[string][];
  expect(preflights).toHaveLength(new Set(relayRoutes.map((r) => r.path)).size);
  for (const preflight of preflights) {
    const response = preflight.Properties.Integration.IntegrationResponses[0];
    // API Gateway cannot list several origins in one header: the mapping template echoes an allowed Origin instead.
    expect(response.ResponseParameters['method.response.header.Access-Control-Allow-Origin']).toBe(`'${origins[0]}'`);
    const echo = response.ResponseTemplates['application/json'] as string;
    for (const origin of origins.slice(1)) expect(echo).toContain(`$origin == "${origin}"`);
    expect(echo).toContain('#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)');
  }
  template.hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ [RuntimeEnv.corsAllowedOrigins]: origins.join(',') }) },
  });
});

test('bundles each function locally as minified ESM with the require banner and a source map', () => {
  const bundling = testApp(true);
  const stack = new RelayStack(bundling, 'Bundled', { config: stages.dev, env: { account, region } });
  const assembly = bundling.synth();
  const authorizerId = stack.getLogicalId(stack.functions[relayAuthorizer.handler]!.node.defaultChild as CfnElement);
  const functions = Object.entries(Template.fromStack(stack).findResources('AWS::Lambda::Function')) as [string, Resources[string]][];
  expect(functions).toHaveLength(handlers.length);
  for (const [id, fn] of functions) {
    const dir = join(assembly.directory, `asset.${(fn.Properties.Code.S3Key as string).replace(/\.zip$/, '')}`);
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
    expect(code.startsWith("import { createRequire } from 'module';const require = createRequire(import.meta.url);")).toBe(true);
    expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
    // The AWS SDK is inlined (faster init, measured by npm run bench): nothing imports it at run time.
    expect(code).not.toMatch(/from\s*"@aws-sdk\//);
    if (id === authorizerId) {
      // The authorizer runs before every request: DynamoDB only, none of the SSM/SmartConnect runtime.
      expect(code).toContain('DynamoDB');
      expect(code).not.toContain('AmazonSSM');
    } else {
      expect(code).toContain('AmazonSSM');
    }
  }
});
