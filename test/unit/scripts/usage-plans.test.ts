/**
 * The pure parts of scripts/api-gateway-usage-plans.ts: the naming contract with the
 * infrastructure, the stage regions the CLI keeps out of infra/stages.ts, limits, key values and the
 * client configuration.
 */
import { describe, expect, test } from '@jest/globals';
import { stages } from '../../../infra/stages.ts';
import { tenantsTableName as infraTenantsTableName } from '../../../infra/tenants-table.ts';
import {
  apiGatewayClientConfig,
  defaultUsagePlanName,
  generateUsageKeyValue,
  stageRegions,
  tenantApiKeyName,
  tenantLimits,
  tenantsTableName,
  tenantUsagePlanName,
} from '../../../scripts/api-gateway-usage-plans.ts';

describe('naming contract', () => {
  test.each(['dev', 'prod'] as const)('%s', (stage) => {
    expect(defaultUsagePlanName(stage)).toBe(`smartconnect-relay-${stage}`);
    expect(tenantsTableName(stage)).toBe(`smartconnect-relay-${stage}-tenants`);
    expect(tenantsTableName(stage)).toBe(infraTenantsTableName(stage));
    expect(tenantApiKeyName(stage, 'acme')).toBe(`smartconnect-relay-${stage}-acme`);
    expect(tenantUsagePlanName(stage, 'acme')).toBe(`smartconnect-relay-${stage}-tenant-acme`);
  });

  test('the CLI\'s stage regions are the stage config\'s', () => {
    expect(stageRegions).toEqual(Object.fromEntries(Object.entries(stages).map(([stage, config]) => [stage, config.region])));
  });
});

describe('tenantLimits', () => {
  const defaults = { throttle: { rateLimit: 10, burstLimit: 20 } };

  test('unset members keep the default plan\'s', () => {
    expect(tenantLimits({ rateLimit: 3 }, defaults)).toEqual({ throttle: { rateLimit: 3, burstLimit: 20 } });
    expect(tenantLimits({ burstLimit: 5 }, defaults)).toEqual({ throttle: { rateLimit: 10, burstLimit: 5 } });
  });

  test('a daily quota becomes a DAY quota; without one the default plan\'s quota is kept', () => {
    expect(tenantLimits({ dailyQuota: 1000 }, defaults)).toEqual({ throttle: { rateLimit: 10, burstLimit: 20 }, quota: { limit: 1000, period: 'DAY' } });
    expect(tenantLimits({ rateLimit: 1 }, { quota: { limit: 5, period: 'WEEK' } })).toEqual({ throttle: { rateLimit: 1 }, quota: { limit: 5, period: 'WEEK' } });
  });

  test('nothing to say → no throttle, no quota', () => {
    expect(tenantLimits({}, {})).toEqual({});
  });
});

describe('generateUsageKeyValue', () => {
  test('40 alphanumeric characters by default, different every time', () => {
    const values = Array.from({ length: 200 }, () => generateUsageKeyValue());
    for (const value of values) expect(value).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(new Set(values).size).toBe(values.length);
  });

  test('every character of the alphabet turns up (no modulo bias toward a few)', () => {
    const seen = new Set(generateUsageKeyValue(20_000));
    expect(seen.size).toBe(62);
  });
});

describe('apiGatewayClientConfig', () => {
  test('a loopback endpoint without credentials gets placeholders and a region', () => {
    const config = apiGatewayClientConfig({ AWS_ENDPOINT_URL_API_GATEWAY: 'http://127.0.0.1:4567' });
    expect(config).toMatchObject({ endpoint: 'http://127.0.0.1:4567', region: 'local', credentials: { accessKeyId: 'local-stand-in' } });
  });

  test('an explicit region wins; real credentials are left to the SDK', () => {
    const config = apiGatewayClientConfig({ AWS_ENDPOINT_URL_API_GATEWAY: 'http://localhost:1', AWS_ACCESS_KEY_ID: 'AKIA' }, { region: 'ap-southeast-2' });
    expect(config.region).toBe('ap-southeast-2');
    expect(config.credentials).toBeUndefined();
  });

  test('no endpoint: nothing but timeouts and retries', () => {
    const config = apiGatewayClientConfig({}, { region: 'ap-southeast-2' });
    expect(config.endpoint).toBeUndefined();
    expect(config.credentials).toBeUndefined();
    expect(config.maxAttempts).toBe(4);
  });
});
