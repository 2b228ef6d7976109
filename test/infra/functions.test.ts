/** Each stage's functions: least-privilege roles, runtime settings, logs, outputs and tags, and the bundles. */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CfnElement } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { officialEnvironments } from '#smartconnect/environment-guard.ts';
import { relayAuthorizer } from '../../functions/routes.ts';
import { RuntimeEnv } from '#runtime/runtime-config.ts';
import { RelayStack } from '../../infra/relay-stack.ts';
import { stages } from '../../infra/stages.ts';
import { account, region, testApp, relay, templates, synthesizeRelayApp, resourcesOf, logicalId, handlers, expectedPermissions, permissionsOf, type Resources } from './support/relay-template.ts';

beforeAll(synthesizeRelayApp);

describe.each(['dev', 'prod'] as const)('the %s stage', (stage) => {
  const config = stages[stage];
  const other = stage === 'dev' ? 'prod' : 'dev';

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
