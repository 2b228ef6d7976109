/**
 * Delivery and operations: the pipeline (dev → smoke → approval → prod → smoke), versions behind a
 * live alias with CodeDeploy, alarms that all notify the stage's SNS topic, the dashboard, tracing,
 * deploy safety and the guard against deploying a stage with the wrong account's credentials.
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { relayAuthorizer, relayRoutes, relayWorkers } from '../../functions/routes.ts';
import type { Stage } from '#runtime/runtime-config.ts';
import { metricNamespace, MetricName } from '#runtime/metric-names.ts';
import { smokeKeyParameter, synthCommands } from '../../infra/pipeline-stack.ts';
import { defineRelayApp, type RelayApp } from '../../infra/relay-app.ts';
import { RelayStack } from '../../infra/relay-stack.ts';
import { checkDeployTarget, checkTargets } from '../../infra/stage-checks.ts';
import { pipelineConfig, stages, type StageConfig } from '../../infra/stages.ts';

const cdkJsonContext = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: object }).context;
const testApp = () => new App({ builtinCloudFormationValidation: false, context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [] } });

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; UpdatePolicy?: Record<string, any> };

const handlers = [...relayRoutes.map((r) => r.handler), ...relayWorkers.map((w) => w.handler), relayAuthorizer.handler];
let relay: RelayApp;
const templates = {} as Record<Stage, Template>;
let pipeline: Template;

beforeAll(() => {
  relay = defineRelayApp(testApp(), { stages, pipeline: pipelineConfig });
  for (const stage of ['dev', 'prod'] as const) templates[stage] = Template.fromStack(relay.stacks[stage]);
  pipeline = Template.fromStack(relay.pipeline);
});

const resourcesOf = (template: Template, type: string) => template.findResources(type) as Record<string, Resource>;
const logicalId = (stage: Stage, construct: IConstruct) =>
  relay.stacks[stage].getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);

describe('the pipeline', () => {
  const actionsByStage = () => {
    const [pipe] = Object.values(resourcesOf(pipeline, 'AWS::CodePipeline::Pipeline'));
    return (pipe!.Properties.Stages as { Name: string; Actions: { Name: string; ActionTypeId: { Category: string; Provider: string }; RunOrder?: number; Configuration?: Record<string, any> }[] }[]);
  };

  test('is its own stack in the configured account, sourced from the configured connection, repository and branch', () => {
    expect(relay.pipeline.stackName).toBe('SmartConnectRelay-Pipeline');
    expect([relay.pipeline.account, relay.pipeline.region]).toEqual([pipelineConfig.account, pipelineConfig.region]);
    const source = actionsByStage()[0]!;
    expect(source.Name).toBe('Source');
    expect(source.Actions[0]!.ActionTypeId).toMatchObject({ Category: 'Source', Provider: 'CodeStarSourceConnection' });
    expect(source.Actions[0]!.Configuration).toMatchObject({
      ConnectionArn: pipelineConfig.connectionArn,
      FullRepositoryId: pipelineConfig.repository,
      BranchName: pipelineConfig.branch,
    });
  });

  test('synthesizes once, after installing and running every test', () => {
    expect(synthCommands).toEqual(['npm install --no-audit --no-fund', 'npm test', 'npx cdk synth']);
    const projects = Object.values(resourcesOf(pipeline, 'AWS::CodeBuild::Project')).map((p) => p.Properties.Source.BuildSpec as string);
    const synth = projects.filter((spec) => spec.includes('npm test'));
    expect(synth).toHaveLength(1);
    expect(synth[0]).toContain('npx cdk synth');
    // The cloud assembly synthesized there is what both stages deploy: nothing rebuilds it per stage.
    expect(projects.filter((spec) => spec.includes('cdk synth'))).toHaveLength(1);
  });

  test('deploys dev, smoke-tests it, waits for a manual approval, then deploys prod and smoke-tests it', () => {
    const names = actionsByStage().map((s) => s.Name);
    expect(names).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'dev', 'prod']);
    const steps = (stage: string) =>
      actionsByStage()
        .find((s) => s.Name === stage)!
        .Actions.map((a) => [a.RunOrder ?? 1, a.ActionTypeId.Category, a.ActionTypeId.Provider, a.Name] as const)
        .sort((a, b) => a[0] - b[0]);
    const dev = steps('dev');
    const prod = steps('prod');
    // Relay deploys (prepare + execute change set) come before the smoke step; prod's approval before anything.
    const order = (list: typeof dev, match: (a: (typeof dev)[number]) => boolean) => list.filter(match).map((a) => a[0]);
    const isDeploy = (a: (typeof dev)[number]) => a[2] === 'CloudFormation' && a[3].startsWith('SmartConnectRelay-');
    const isSmoke = (a: (typeof dev)[number]) => a[2] === 'CodeBuild' && a[3].startsWith('Smoke');
    for (const list of [dev, prod]) expect([order(list, isDeploy).length, order(list, isSmoke).length]).toEqual([4, 1]);
    expect(Math.max(...order(dev, isDeploy))).toBeLessThan(Math.min(...order(dev, isSmoke)));
    expect(order(dev, (a) => a[2] === 'Manual')).toEqual([]);
    const approval = order(prod, (a) => a[1] === 'Approval' && a[2] === 'Manual');
    expect(approval).toHaveLength(1);
    expect(approval[0]!).toBeLessThan(Math.min(...order(prod, isDeploy)));
    expect(Math.max(...order(prod, isDeploy))).toBeLessThan(Math.min(...order(prod, isSmoke)));
  });

  test('deploys each stage into its own account, with the stack name it always had', () => {
    for (const stage of ['dev', 'prod'] as const) {
      const action = actionsByStage()
        .find((s) => s.Name === stage)!
        .Actions.find((a) => a.Name === `SmartConnectRelay-${stage}.Prepare`)!;
      expect(action.Configuration!.StackName).toBe(`SmartConnectRelay-${stage}`);
      expect(JSON.stringify(action)).toContain(`:iam::${stages[stage].account}:role/cdk-`);
    }
  });

  test('smoke-tests each stage with npm run smoke against its ApiUrl output and its smoke tenant key', () => {
    for (const stage of ['dev', 'prod'] as const) {
      const spec = Object.values(resourcesOf(pipeline, 'AWS::CodeBuild::Project'))
        .map((p) => p.Properties)
        .find((p) => JSON.stringify(p.Environment.EnvironmentVariables ?? []).includes(smokeKeyParameter(stage)))!;
      expect(spec).toBeDefined();
      expect(JSON.parse(spec.Source.BuildSpec).phases.build.commands).toEqual([
        'npm install --no-audit --no-fund',
        'npm run smoke -- --url "$RELAY_URL" --key "$RELAY_SMOKE_KEY"',
      ]);
      expect(spec.Environment.EnvironmentVariables).toEqual(
        expect.arrayContaining([{ Name: 'RELAY_SMOKE_KEY', Type: 'PARAMETER_STORE', Value: smokeKeyParameter(stage) }]),
      );
    }
    // RELAY_URL comes from the stage's ApiUrl output, as a pipeline variable of the deploy action.
    expect(JSON.stringify(pipeline.toJSON())).toMatch(/RELAY_URL.*#\{.*ApiUrl\}/);
  });
});

describe.each(['dev', 'prod'] as const)('the %s stage in operation', (stage) => {
  const config = stages[stage];
  const alarms = () => resourcesOf(templates[stage], 'AWS::CloudWatch::Alarm');
  const topicId = () => logicalId(stage, relay.stacks[stage].alarms.topic);

  test('publishes each function as a version behind a live alias that API Gateway and the poll queue invoke', () => {
    const stack = relay.stacks[stage];
    const aliases = resourcesOf(templates[stage], 'AWS::Lambda::Alias');
    expect(Object.keys(aliases)).toHaveLength(handlers.length);
    for (const handler of handlers) {
      const fn = stack.functions[handler]!;
      const alias = aliases[logicalId(stage, fn.live)]!;
      expect(alias.Properties).toMatchObject({ Name: 'live', FunctionName: { Ref: logicalId(stage, fn) } });
      expect(alias.Properties.FunctionVersion['Fn::GetAtt'][1]).toBe('Version');
    }
    // Every integration and the authorizer name an alias, never the function itself ($LATEST).
    for (const method of Object.values(resourcesOf(templates[stage], 'AWS::ApiGateway::Method'))) {
      const uri = JSON.stringify(method.Properties.Integration?.Uri ?? '');
      if (method.Properties.Integration?.Type === 'AWS_PROXY') expect(uri).toMatch(/FunctionLive/);
    }
    for (const permission of Object.values(resourcesOf(templates[stage], 'AWS::Lambda::Permission'))) {
      expect(JSON.stringify(permission.Properties.FunctionName)).toMatch(/FunctionLive/);
    }
  });

  test(`shifts traffic with CodeDeploy ${stage === 'prod' ? 'as a 10% canary for 5 minutes' : 'all at once'}, rolling back on alarms`, () => {
    const stack = relay.stacks[stage];
    const groups = resourcesOf(templates[stage], 'AWS::CodeDeploy::DeploymentGroup');
    expect(Object.keys(groups)).toHaveLength(handlers.length);
    for (const handler of handlers) {
      const group = groups[logicalId(stage, stack.deploymentGroups[handler]!)]!;
      expect(group.Properties.DeploymentConfigName).toBe(
        stage === 'prod' ? 'CodeDeployDefault.LambdaCanary10Percent5Minutes' : 'CodeDeployDefault.LambdaAllAtOnce',
      );
      expect(group.Properties.AutoRollbackConfiguration).toEqual({
        Enabled: true,
        Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'],
      });
      const names = group.Properties.AlarmConfiguration.Alarms.map((a: { Name: { Ref: string } }) => alarms()[a.Name.Ref]!.Properties.AlarmName);
      expect(names.sort()).toEqual(
        [`${handler}-errors`, `${handler}-throttles`, 'api-5xx-rate', 'api-latency-p99', 'unknown-outcomes', 'smartconnect-error-rate']
          .map((n) => `smartconnect-relay-${stage}-${n}`)
          .sort(),
      );
      expect(group.Properties.AlarmConfiguration.Enabled).toBe(true);
      // The alias update goes through this group (CloudFormation hands it to CodeDeploy).
      const alias = resourcesOf(templates[stage], 'AWS::Lambda::Alias')[logicalId(stage, stack.functions[handler]!.live)]!;
      expect(alias.UpdatePolicy?.CodeDeployLambdaAliasUpdate.DeploymentGroupName).toEqual({ Ref: logicalId(stage, stack.deploymentGroups[handler]!) });
    }
  });

  test('has an SNS topic, subscribed by the configured emails, as the action of every alarm, on alarm and on recovery', () => {
    templates[stage].hasResourceProperties('AWS::SNS::Topic', { TopicName: `smartconnect-relay-${stage}-alarms` });
    const subscriptions = Object.values(resourcesOf(templates[stage], 'AWS::SNS::Subscription')).map((s) => s.Properties);
    expect(subscriptions.map((s) => [s.Protocol, s.Endpoint, s.TopicArn])).toEqual(config.alarmEmails.map((e) => ['email', e, { Ref: topicId() }]));
    expect(Object.keys(alarms()).length).toBeGreaterThan(0);
    for (const alarm of Object.values(alarms())) {
      expect([alarm.Properties.AlarmName, alarm.Properties.AlarmActions]).toEqual([alarm.Properties.AlarmName, [{ Ref: topicId() }]]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topicId() }]);
      expect(alarm.Properties.AlarmDescription).toMatch(/docs\/operations\.md#|PENDING/);
    }
  });

  test('alarms on every symptom the runbook names, with the stage thresholds', () => {
    const byName = Object.fromEntries(Object.values(alarms()).map((a) => [a.Properties.AlarmName.replace(`smartconnect-relay-${stage}-`, ''), a.Properties]));
    expect(Object.keys(byName).sort()).toEqual(
      [
        'api-5xx-rate',
        'api-latency-p99',
        'authorizer-failures',
        'poll-oldest-message',
        'poll-dead-letters',
        'webhook-dead-letters',
        'unknown-outcomes',
        'smartconnect-error-rate',
        'transactions-dynamodb-throttles',
        'tenants-dynamodb-throttles',
        ...handlers.flatMap((h) => [`${h}-errors`, `${h}-throttles`]),
      ].sort(),
    );
    const t = config.alarms;
    expect(byName['api-5xx-rate']).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: '5XXError', Statistic: 'Average', Threshold: t.api5xxRate });
    expect(byName['api-latency-p99']).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: 'Latency', ExtendedStatistic: 'p99', Threshold: t.apiLatencyP99Ms });
    expect(byName['create-transaction-errors']).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Threshold: t.functionErrors });
    expect(byName['authorize-throttles']).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Throttles', Threshold: t.functionThrottles });
    expect(byName['poll-oldest-message']).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateAgeOfOldestMessage', Threshold: t.oldestPollMessageSeconds });
    // Any UNKNOWN outcome alarms: the relay's own metric, with its service and stage dimensions.
    expect(byName['unknown-outcomes']).toMatchObject({
      Namespace: metricNamespace,
      MetricName: MetricName.unknownOutcomes,
      Dimensions: [{ Name: 'service', Value: 'smartconnect-relay' }, { Name: 'stage', Value: stage }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(byName['authorizer-failures']).toMatchObject({ Namespace: metricNamespace, MetricName: MetricName.authorizerFailures, Threshold: t.authorizerFailures });
    const rate = byName['smartconnect-error-rate']!;
    expect(rate.Threshold).toBe(t.smartConnectErrorRate);
    expect(JSON.stringify(rate.Metrics)).toContain(MetricName.smartConnectErrors);
    expect(JSON.stringify(rate.Metrics)).toContain(MetricName.smartConnectRequests);
    expect(JSON.stringify(byName['transactions-dynamodb-throttles']!.Metrics)).toContain('WriteThrottleEvents');
    expect(byName['tenants-dynamodb-throttles']!.Threshold).toBe(t.dynamoThrottles);
  });

  test('counts authorizer failures from the access log, which also names the tenant', () => {
    const access = Object.values(resourcesOf(templates[stage], 'AWS::ApiGateway::Stage'))[0]!.Properties.AccessLogSetting;
    expect(JSON.parse(access.Format)).toMatchObject({ tenantId: '$context.authorizer.tenantId', service: 'smartconnect-relay', stage: '$context.stage' });
    const filter = Object.values(resourcesOf(templates[stage], 'AWS::Logs::MetricFilter'))[0]!.Properties;
    expect(filter.FilterPattern).toBe('{ ($.errorType = "AUTHORIZER_FAILURE") || ($.errorType = "AUTHORIZER_CONFIGURATION_ERROR") }');
    expect(filter.MetricTransformations).toEqual([
      {
        MetricNamespace: metricNamespace,
        MetricName: MetricName.authorizerFailures,
        MetricValue: '1',
        Dimensions: [
          { Key: 'service', Value: '$.service' },
          { Key: 'stage', Value: '$.stage' },
        ],
      },
    ]);
  });

  test('traces every function and the API stage with X-Ray', () => {
    for (const fn of Object.values(resourcesOf(templates[stage], 'AWS::Lambda::Function'))) expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    const apiStage = Object.values(resourcesOf(templates[stage], 'AWS::ApiGateway::Stage'))[0]!;
    expect(apiStage.Properties.TracingEnabled).toBe(true);
  });

  test('draws one dashboard with the alarms, SmartConnect, transactions and the poll loop', () => {
    const dashboards = Object.values(resourcesOf(templates[stage], 'AWS::CloudWatch::Dashboard'));
    expect(dashboards.map((d) => d.Properties.DashboardName)).toEqual([`smartconnect-relay-${stage}`]);
    const body = JSON.stringify(dashboards[0]!.Properties.DashboardBody);
    for (const name of Object.values(MetricName)) expect([name, body.includes(name)]).toEqual([name, true]);
    expect(body).toContain('ApproximateAgeOfOldestMessage');
  });

  test(`${config.terminationProtection ? 'is' : 'is not'} protected from termination, and caps the poll worker and reserves for the tills from config`, () => {
    expect(relay.stacks[stage].terminationProtection).toBe(stage === 'prod');
    const [mapping] = Object.values(resourcesOf(templates[stage], 'AWS::Lambda::EventSourceMapping'));
    expect(mapping!.Properties.ScalingConfig).toEqual({ MaximumConcurrency: config.concurrency.pollWorkerMax });
    const functions = resourcesOf(templates[stage], 'AWS::Lambda::Function');
    for (const handler of handlers) {
      const fn = functions[logicalId(stage, relay.stacks[stage].functions[handler]!)]!;
      expect([handler, fn.Properties.ReservedConcurrentExecutions]).toEqual([handler, config.concurrency.reserved[handler]]);
    }
  });
});

test('prod runs a canary, is protected, reserves capacity for the tills and tightens its alarms; dev does none of that', () => {
  expect([stages.dev.deployment, stages.prod.deployment]).toEqual(['all-at-once', 'canary']);
  expect([stages.dev.terminationProtection, stages.prod.terminationProtection]).toEqual([false, true]);
  expect(stages.dev.concurrency.reserved).toEqual({});
  expect(stages.prod.concurrency.reserved['create-transaction']).toBeGreaterThan(0);
  expect(stages.prod.concurrency.pollWorkerMax).toBeLessThan(stages.prod.concurrency.reserved['create-transaction']!);
  expect(stages.prod.alarms.api5xxRate).toBeLessThan(stages.dev.alarms.api5xxRate);
  expect(stages.prod.alarms.functionErrors).toBeLessThanOrEqual(stages.dev.alarms.functionErrors);
});

test('serves a configured custom domain over TLS 1.2 and outputs where to point it', () => {
  const config: StageConfig = {
    ...stages.dev,
    customDomain: { domainName: 'relay-dev.example.com', certificateArn: 'arn:aws:acm:ap-southeast-2:111111111111:certificate/abc' },
  };
  const template = Template.fromStack(new RelayStack(testApp(), 'Domain', { config, env: { account: config.account, region: config.region } }));
  template.hasResourceProperties('AWS::ApiGateway::DomainName', {
    DomainName: 'relay-dev.example.com',
    RegionalCertificateArn: 'arn:aws:acm:ap-southeast-2:111111111111:certificate/abc',
    EndpointConfiguration: { Types: ['REGIONAL'] },
    SecurityPolicy: 'TLS_1_2',
  });
  template.resourceCountIs('AWS::ApiGateway::BasePathMapping', 1);
  expect(Object.keys(template.findOutputs('CustomDomainTarget'))).toEqual(['CustomDomainTarget']);
  // Without one, none of it.
  templates.dev.resourceCountIs('AWS::ApiGateway::DomainName', 0);
});

describe('deploy targets', () => {
  test('every stage and the pipeline name a 12-digit account', () => {
    expect(() => checkTargets(stages, pipelineConfig)).not.toThrow();
    expect(() => checkTargets({ ...stages, prod: { ...stages.prod, account: '' } }, pipelineConfig)).toThrow(/Stage prod: account must be a 12-digit/);
    expect(() => checkTargets(stages, { ...pipelineConfig, account: '1234' })).toThrow(/Pipeline: account/);
    expect(() => defineRelayApp(testApp(), { stages: { ...stages, dev: { ...stages.dev, account: 'me' } }, pipeline: pipelineConfig })).toThrow(/Stage dev/);
  });

  test('a direct deploy of a stage refuses credentials of any other account', () => {
    expect(() => checkDeployTarget('prod', stages, stages.prod.account)).not.toThrow();
    expect(() => checkDeployTarget('prod', stages, stages.dev.account)).toThrow(
      `Refusing to deploy prod: your credentials are for account ${stages.dev.account}, but the prod stage lives in account ${stages.prod.account}`,
    );
    expect(() => checkDeployTarget('prod', stages, undefined)).toThrow(/could not tell which account/);
    expect(() => checkDeployTarget('staging', stages, stages.dev.account)).toThrow(/RELAY_DEPLOY_STAGE must be one of dev, prod/);
    // Synth, tests and the pipeline name no target.
    expect(() => checkDeployTarget(undefined, stages, undefined)).not.toThrow();
  });

  test('npm run deploy:<stage> names its stage, so the guard runs', () => {
    const scripts = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['deploy:dev']).toMatch(/^RELAY_DEPLOY_STAGE=dev .* cdk deploy 'dev\/\*'$/);
    expect(scripts['deploy:prod']).toMatch(/^RELAY_DEPLOY_STAGE=prod .* cdk deploy 'prod\/\*'$/);
    expect(scripts['deploy:pipeline']).toMatch(/cdk deploy SmartConnectRelay-Pipeline$/);
  });
});
