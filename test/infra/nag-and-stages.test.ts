/** What differs between the stages, the API Gateway account stacks, cdk-nag, and the stage configs refused at synth. */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Method } from 'aws-cdk-lib/aws-apigateway';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { officialEnvironments } from '#smartconnect/environment-guard.ts';
import { relayRoutes } from '../../functions/routes.ts';
import { minimumPollIntervalMs } from '#runtime/runtime-config.ts';
import { defineRelayApp } from '../../infra/relay-app.ts';
import { RelayStack } from '../../infra/relay-stack.ts';
import { pipelineConfig, stages, type StageConfig } from '../../infra/stages.ts';
import { pipelineFindings } from '../../infra/pipeline-stack.ts';
import { account, region, testStages, testApp, app, relay, synthesizeRelayApp, only } from './support/relay-template.ts';

beforeAll(synthesizeRelayApp);

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
  // cdk-nag writes validation-report.json only when the whole app synthesizes: do that here rather
  // than rely on another test having done it first.
  beforeAll(() => {
    app.synth();
  });

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
