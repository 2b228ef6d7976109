/**
 * scripts/api-gateway-usage-plans.ts with the real @aws-sdk/client-api-gateway against a loopback
 * API Gateway stand-in (local/stand-ins/api-gateway.ts): which calls each path makes, what it
 * creates, how it rolls back and how it deprovisions.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { apiGatewayClientConfig, createApiGatewayUsagePlans, UsagePlanError } from '../../scripts/api-gateway-usage-plans.ts';
import { startApiGatewayStandIn, type ApiGatewayStandIn, type StandInRequest, type StandInUsagePlan } from '../../local/stand-ins/api-gateway.ts';

let gateway: ApiGatewayStandIn;
let client: APIGatewayClient;
let defaultPlan: StandInUsagePlan;

const devStage = { apiId: 'abc123', stage: 'dev' };

beforeAll(async () => {
  // Two plans a page, so finding the default plan has to follow `position`.
  gateway = await startApiGatewayStandIn({ pageSize: 2 });
  client = new APIGatewayClient(apiGatewayClientConfig({ AWS_ENDPOINT_URL_API_GATEWAY: gateway.endpoint }, { region: 'ap-southeast-2', maxAttempts: 1 }));
});
afterAll(async () => {
  client.destroy();
  await gateway.close();
});

beforeEach(() => {
  gateway.reset();
  gateway.addUsagePlan({ name: 'some-other-api', apiStages: [{ apiId: 'zzz999', stage: 'live' }] });
  gateway.addUsagePlan({ name: 'smartconnect-relay-prod', apiStages: [{ apiId: 'prd456', stage: 'prod' }], throttle: { rateLimit: 100, burstLimit: 200 } });
  gateway.addUsagePlan({ name: 'smartconnect-relay-dev-tenant-someone', apiStages: [devStage] });
  defaultPlan = gateway.addUsagePlan({ name: 'smartconnect-relay-dev', apiStages: [devStage], throttle: { rateLimit: 10, burstLimit: 20 } });
});
afterEach(() => {
  expect(gateway.requests.every((r) => r.signed)).toBe(true);
});

const dev = () => createApiGatewayUsagePlans({ client, stage: 'dev' });
const bodyOf = (method: string, path: RegExp): unknown => gateway.requests.findLast((r: StandInRequest) => r.method === method && path.test(r.path))?.body;
const plansNamed = (name: string) => [...gateway.usagePlans.values()].filter((p) => p.name === name);

describe('provision', () => {
  test('without limits: an API key in the stage\'s default plan', async () => {
    const binding = await dev().provision({ tenantId: 'acme', name: 'Acme POS' });

    expect(gateway.takeCalls()).toEqual([
      'GET /usageplans',
      'GET /usageplans',
      'POST /apikeys',
      `POST /usageplans/${defaultPlan.id}/keys`,
    ]);
    expect(gateway.requests.slice(0, 2).map((r) => r.query)).toEqual([{ limit: '500' }, { limit: '500', position: '2' }]);
    expect(binding.usagePlanId).toBe(defaultPlan.id);
    expect(binding.apiKeyValue).toMatch(/^[A-Za-z0-9]{40}$/);
    const key = gateway.apiKeys.get(binding.apiKeyId);
    expect(key).toMatchObject({
      name: 'smartconnect-relay-dev-acme',
      enabled: true,
      value: binding.apiKeyValue,
      tags: { 'smartconnect-relay:stage': 'dev', 'smartconnect-relay:tenant': 'acme' },
    });
    expect([...gateway.planKeys.get(defaultPlan.id)!]).toEqual([binding.apiKeyId]);
    expect(bodyOf('POST', /\/keys$/)).toEqual({ keyId: binding.apiKeyId, keyType: 'API_KEY' });
    expect(gateway.usagePlans.size).toBe(4);
  });

  test('with limits: a plan of its own on the default plan\'s API stages, unset limits from the default plan', async () => {
    const binding = await dev().provision({ tenantId: 'metered', name: 'Metered POS', throttling: { rateLimit: 5, dailyQuota: 1000 } });

    const [own] = plansNamed('smartconnect-relay-dev-tenant-metered');
    expect(gateway.takeCalls()).toEqual(['GET /usageplans', 'GET /usageplans', 'POST /apikeys', 'POST /usageplans', `POST /usageplans/${own?.id}/keys`]);
    expect(binding.usagePlanId).toBe(own?.id);
    expect(own).toMatchObject({
      apiStages: [devStage],
      throttle: { rateLimit: 5, burstLimit: 20 },
      quota: { limit: 1000, period: 'DAY' },
      tags: { 'smartconnect-relay:stage': 'dev', 'smartconnect-relay:tenant': 'metered' },
    });
    expect([...gateway.planKeys.get(own!.id)!]).toEqual([binding.apiKeyId]);
    expect(gateway.planKeys.get(defaultPlan.id)?.size).toBe(0);
    expect(gateway.apiKeys.get(binding.apiKeyId)?.name).toBe('smartconnect-relay-dev-metered');
  });

  test('no default plan for the stage: a clear error, nothing created', async () => {
    gateway.usagePlans.delete(defaultPlan.id);
    const provisioning = dev().provision({ tenantId: 'acme', name: 'Acme POS' });
    await expect(provisioning).rejects.toThrow(UsagePlanError);
    await expect(provisioning).rejects.toThrow(/No usage plan named smartconnect-relay-dev .*deploy the stage first \(npm run deploy:dev\)/);
    expect(gateway.takeCalls().every((call) => call === 'GET /usageplans')).toBe(true);
    expect(gateway.apiKeys.size).toBe(0);
  });

  test('two plans with the default name: refused as ambiguous', async () => {
    gateway.addUsagePlan({ name: 'smartconnect-relay-dev', apiStages: [devStage] });
    await expect(dev().provision({ tenantId: 'acme', name: 'Acme POS' })).rejects.toThrow(/2 usage plans are named smartconnect-relay-dev/);
    expect(gateway.apiKeys.size).toBe(0);
  });

  test('limits but a default plan bound to no API stage: refused before anything is created', async () => {
    defaultPlan.apiStages = [];
    await expect(dev().provision({ tenantId: 'metered', name: 'M', throttling: { burstLimit: 3 } })).rejects.toThrow(/bound to no API stage: deploy the stage first/);
    expect(gateway.apiKeys.size).toBe(0);
  });

  test('the key cannot join its plan: the plan and the key are removed again', async () => {
    gateway.failWhen((r) => r.method === 'POST' && /\/keys$/.test(r.path), { status: 400, type: 'BadRequestException', message: 'no way' });
    const provisioning = dev().provision({ tenantId: 'metered', name: 'M', throttling: { rateLimit: 1 } });
    await expect(provisioning).rejects.toThrow(/Could not provision the usage plan of tenant metered: BadRequestException: no way\. Nothing was left in API Gateway\./);

    const calls = gateway.takeCalls();
    const ownId = calls.find((c) => /^POST \/usageplans\/[^/]+\/keys$/.test(c))?.split('/')[2];
    const apiKeyId = (bodyOf('POST', /\/keys$/) as { keyId: string }).keyId;
    expect(calls.slice(2)).toEqual([
      'POST /apikeys',
      'POST /usageplans',
      `POST /usageplans/${ownId}/keys`,
      // Undone newest first: the membership (in case it landed), the plan (stages first), the key.
      `DELETE /usageplans/${ownId}/keys/${apiKeyId}`,
      `PATCH /usageplans/${ownId}`,
      `DELETE /usageplans/${ownId}`,
      `DELETE /apikeys/${apiKeyId}`,
    ]);
    expect(bodyOf('PATCH', /./)).toEqual({ patchOperations: [{ op: 'remove', path: '/apiStages', value: 'abc123:dev' }] });
    expect(gateway.apiKeys.size).toBe(0);
    expect(plansNamed('smartconnect-relay-dev-tenant-metered')).toEqual([]);
  });

  test('the plan cannot be created: the key is removed again', async () => {
    gateway.failWhen((r) => r.method === 'POST' && r.path === '/usageplans', { status: 400, type: 'BadRequestException', message: 'Invalid throttle' });
    await expect(dev().provision({ tenantId: 'metered', name: 'M', throttling: { rateLimit: 1 } })).rejects.toThrow(/Invalid throttle\. Nothing was left/);
    const apiKeyId = [...gateway.requests].reverse().find((r) => r.method === 'DELETE')?.path.split('/')[2];
    expect(gateway.takeCalls().slice(2)).toEqual(['POST /apikeys', 'POST /usageplans', `DELETE /apikeys/${apiKeyId}`]);
    expect(gateway.apiKeys.size).toBe(0);
  });

  test('a rollback that fails too names what is left to remove by hand', async () => {
    gateway.failWhen((r) => r.method === 'POST' && /\/keys$/.test(r.path), { status: 400, type: 'BadRequestException' });
    gateway.failWhen((r) => r.method === 'DELETE' && r.path.startsWith('/apikeys/'), { status: 403, type: 'AccessDeniedException', message: 'not allowed' });
    const error = await dev()
      .provision({ tenantId: 'acme', name: 'Acme POS' })
      .then(() => undefined, (e: unknown) => e as UsagePlanError);
    const [key] = gateway.apiKeys.values();
    expect(error).toBeInstanceOf(UsagePlanError);
    expect(error?.leftovers).toEqual([`API key ${key?.id}`]);
    expect(error?.message).toMatch(new RegExp(`Rolling back failed too; remove by hand: API key ${key?.id}\\.$`));
    expect(gateway.planKeys.get(defaultPlan.id)?.size).toBe(0);
  });
});

describe('deprovision', () => {
  test('a tenant in the default plan: its key leaves the plan and is deleted; the plan stays', async () => {
    const binding = await dev().provision({ tenantId: 'acme', name: 'Acme POS' });
    gateway.takeCalls();
    await dev().deprovision(binding);
    expect(gateway.takeCalls()).toEqual([
      `GET /usageplans/${defaultPlan.id}`,
      `DELETE /usageplans/${defaultPlan.id}/keys/${binding.apiKeyId}`,
      `DELETE /apikeys/${binding.apiKeyId}`,
    ]);
    expect(gateway.apiKeys.size).toBe(0);
    expect(gateway.usagePlans.get(defaultPlan.id)).toBeDefined();
  });

  test('a tenant with its own plan: key out, key deleted, stages removed, plan deleted; a second run finds it all gone', async () => {
    const binding = await dev().provision({ tenantId: 'metered', name: 'M', throttling: { dailyQuota: 50 } });
    gateway.takeCalls();
    await dev().deprovision(binding);
    const { usagePlanId, apiKeyId } = binding;
    expect(gateway.takeCalls()).toEqual([
      `GET /usageplans/${usagePlanId}`,
      `DELETE /usageplans/${usagePlanId}/keys/${apiKeyId}`,
      `DELETE /apikeys/${apiKeyId}`,
      `GET /usageplans/${usagePlanId}/keys`,
      `PATCH /usageplans/${usagePlanId}`,
      `DELETE /usageplans/${usagePlanId}`,
    ]);
    expect(bodyOf('PATCH', /./)).toEqual({ patchOperations: [{ op: 'remove', path: '/apiStages', value: 'abc123:dev' }] });
    expect(gateway.usagePlans.has(usagePlanId)).toBe(false);
    expect(gateway.apiKeys.size).toBe(0);

    await dev().deprovision(binding);
    expect(gateway.takeCalls()).toEqual([`GET /usageplans/${usagePlanId}`, `DELETE /apikeys/${apiKeyId}`]);
  });

  test('a tenant plan someone else was added to is kept', async () => {
    const binding = await dev().provision({ tenantId: 'metered', name: 'M', throttling: { rateLimit: 2 } });
    const other = await dev().provision({ tenantId: 'acme', name: 'Acme POS' });
    // By hand, outside the CLI: another key in the tenant's plan (allowed: a different plan than its default one).
    gateway.planKeys.get(defaultPlan.id)!.delete(other.apiKeyId);
    gateway.planKeys.get(binding.usagePlanId)!.add(other.apiKeyId);
    await dev().deprovision(binding);
    expect(gateway.usagePlans.has(binding.usagePlanId)).toBe(true);
    expect([...gateway.planKeys.get(binding.usagePlanId)!]).toEqual([other.apiKeyId]);
  });
});
