/** The relay app the infra tests synthesize, and the helpers they read its templates with. */
import { expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { relayAuthorizer, relayRoutes, relayWorkers } from '../../../functions/routes.ts';
import type { Stage } from '#runtime/runtime-config.ts';
import { transactionTable } from '#transactions/transaction-table.ts';
import { defineRelayApp, type RelayApp } from '../../../infra/relay-app.ts';
import { pipelineConfig, stages, type StageConfig } from '../../../infra/stages.ts';

export const account = '111111111111';
/** Both stages in one account here, as the tests have always assumed; split accounts are tested in nag-and-stages.test.ts. */
export const testStages: Record<Stage, StageConfig> = { dev: { ...stages.dev, account }, prod: { ...stages.prod, account } };
export const region = 'ap-southeast-2';
// Tests get the same feature flags as `cdk synth`, which reads them from cdk.json.
const cdkJsonContext = (JSON.parse(readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8')) as { context: object }).context;

/** Bundling stays off in assertion-only apps; the bundling test in functions.test.ts (and `cdk synth`) really bundles. */
export const testApp = (bundle = false) =>
  new App({
    builtinCloudFormationValidation: false,
    context: { ...cdkJsonContext, ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
  });

export type Resources = Record<
  string,
  { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string; DependsOn?: string[] }
>;

export let app: App;
export let relay: RelayApp;
export const templates = {} as Record<Stage, Template>;

/** Synthesizes the whole app once per test file, cdk-nag included: an unacknowledged finding would throw here. */
export function synthesizeRelayApp(): void {
  app = testApp();
  relay = defineRelayApp(app, { stages: testStages, pipeline: pipelineConfig });
  for (const stage of ['dev', 'prod'] as const) templates[stage] = Template.fromStack(relay.stacks[stage]);
}

export const resourcesOf = (stage: Stage, type: string): Resources => templates[stage].findResources(type) as Resources;
/** The event source mapping that feeds this function (through its live alias). */
export const mappingFor = (stage: Stage, fn: IConstruct & { live?: IConstruct }) =>
  Object.values(resourcesOf(stage, 'AWS::Lambda::EventSourceMapping')).filter((m) =>
    [fn, fn.live].some((c) => c && JSON.stringify(m.Properties.FunctionName).includes(`"${logicalId(stage, c)}"`)),
  );
export const mappingOf = (stage: Stage) => mappingFor(stage, relay.stacks[stage].functions['poll-transaction']!)[0]!;
export const only = <T>(values: T[]): T => {
  expect(values).toHaveLength(1);
  return values[0]!;
};
export const logicalId = (stage: Stage, construct: IConstruct): string =>
  relay.stacks[stage].getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
export const routeHandlers = relayRoutes.map((r) => r.handler);
export const handlers = [...routeHandlers, ...relayWorkers.map((w) => w.handler), relayAuthorizer.handler];
export const tableNamed = (stage: Stage, name: string) =>
  only(Object.values(resourcesOf(stage, 'AWS::DynamoDB::GlobalTable')).filter((t) => t.Properties.TableName === name));

/** Every API method as `METHOD /path`, with its properties. */
export function methodsOf(stage: Stage): [string, Record<string, any>][] {
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
export const expectedPermissions: Record<string, Permissions> = {
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
export function permissionsOf(stage: Stage, handler: string): Permissions {
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
