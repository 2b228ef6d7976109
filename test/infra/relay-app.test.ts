import { beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { officialEnvironments } from '../../functions/shared/environment-guard.ts';
import { relayRoutes } from '../../functions/routes.ts';
import { RuntimeEnv, type Stage } from '../../functions/shared/runtime-config.ts';
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

describe.each(['dev', 'prod'] as const)('the %s stage', (stage) => {
  const config = stages[stage];
  const other = stage === 'dev' ? 'prod' : 'dev';
  const parameterArn = `arn:aws:ssm:${region}:${account}:parameter/smartconnect/${stage}/environment`;

  test('is its own stack, named after the stage, in its account and region', () => {
    const stack = relay.stacks[stage];
    expect(stack.stackName).toBe(`SmartConnectRelay-${stage}`);
    expect([stack.account, stack.region]).toEqual([account, region]);
    expect(JSON.stringify(templates[stage].toJSON())).not.toContain(`/smartconnect/${other}/`);
  });

  test('holds the SmartConnect environment in its own SSM parameter', () => {
    templates[stage].resourceCountIs('AWS::SSM::Parameter', 1);
    templates[stage].hasResourceProperties('AWS::SSM::Parameter', {
      Name: `/smartconnect/${stage}/environment`,
      Type: 'String',
      Value: officialEnvironments[stage],
    });
  });

  test('lets each function read exactly its own parameter and write exactly its own logs', () => {
    const functions = Object.values(resourcesOf(stage, 'AWS::Lambda::Function'));
    expect(functions).toHaveLength(relayRoutes.length);
    const policies = Object.values(resourcesOf(stage, 'AWS::IAM::Policy'));
    for (const fn of functions) {
      const roleId = fn.Properties.Role['Fn::GetAtt'][0];
      const statements = policies
        .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
        .flatMap((p) => p.Properties.PolicyDocument.Statement);
      expect(statements).toEqual([
        { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [fn.Properties.LoggingConfig.LogGroup.Ref, 'Arn'] } },
        { Effect: 'Allow', Action: 'ssm:GetParameter', Resource: parameterArn },
      ]);
    }
    // No managed policies anywhere in the stage (so no AWSLambdaBasicExecutionRole), and no other SSM grant.
    for (const role of Object.values(resourcesOf(stage, 'AWS::IAM::Role'))) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const ssmStatements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement).filter((s) => JSON.stringify(s).includes('ssm'));
    expect(ssmStatements).toHaveLength(functions.length);
  });

  test('runs every function on Node.js 24, arm64, with the stage settings as its environment', () => {
    const functions = Object.values(resourcesOf(stage, 'AWS::Lambda::Function'));
    const logGroups = resourcesOf(stage, 'AWS::Logs::LogGroup');
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: config.lambdaMemoryMb,
        Timeout: config.lambdaTimeoutSeconds,
      });
      expect(fn.Properties.Environment.Variables).toEqual({
        [RuntimeEnv.stage]: stage,
        [RuntimeEnv.environmentParameter]: `/smartconnect/${stage}/environment`,
        [RuntimeEnv.environmentCacheSeconds]: String(config.environmentCacheSeconds),
        [RuntimeEnv.smartConnectTimeoutMs]: String(config.smartConnectTimeoutMs),
        POWERTOOLS_SERVICE_NAME: 'smartconnect-relay',
        POWERTOOLS_LOG_LEVEL: config.logLevel,
        NODE_OPTIONS: '--enable-source-maps',
      });
      expect(logGroups[fn.Properties.LoggingConfig.LogGroup.Ref]).toBeDefined();
    }
  });

  test('keeps every log group for the stage retention', () => {
    const logGroups = Object.values(resourcesOf(stage, 'AWS::Logs::LogGroup'));
    // One per function, plus API access and execution logs.
    expect(logGroups).toHaveLength(relayRoutes.length + 2);
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
    for (const type of ['AWS::Lambda::Function', 'AWS::SSM::Parameter', 'AWS::ApiGateway::RestApi']) {
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
