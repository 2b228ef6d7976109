/** Each stage's REST API: routes, authorizer, usage plans, CORS, WAF and API Gateway's own problems. */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { relayAuthorizer, relayRoutes } from '../../functions/routes.ts';
import { problemContentType } from '#http/problem.ts';
import { RuntimeEnv } from '#runtime/runtime-config.ts';
import { authProblems, unauthorizedProblem } from '#tenants/tenant-context.ts';
import { gatewayProblems, quotaRetryAfterSeconds } from '../../infra/gateway-problems.ts';
import { RelayStack } from '../../infra/relay-stack.ts';
import { stages } from '../../infra/stages.ts';
import { ipRateLimitRetryAfterSeconds } from '../../infra/web-firewall.ts';
import { account, region, testApp, relay, templates, synthesizeRelayApp, resourcesOf, only, logicalId, methodsOf, type Resources } from './support/relay-template.ts';

beforeAll(synthesizeRelayApp);

describe.each(['dev', 'prod'] as const)('the %s stage', (stage) => {
  const config = stages[stage];

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
