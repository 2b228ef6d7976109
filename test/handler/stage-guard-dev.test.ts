import { afterAll, beforeAll, expect, test } from '@jest/globals';
import dns from 'node:dns';
import { startLocalRelay, type LocalRelay } from '../../local/local-relay.ts';
import { officialEnvironments } from '#smartconnect/environment-guard.ts';
import { expectProblem, pairRequest } from '../support/relay-client.ts';

// The dev stage pointed at SmartConnect production. A broken guard would try to reach the real
// production host: the DNS lookup is intercepted so that can never leave this machine, and recorded
// so the test fails if it was attempted.
const lookups: string[] = [];
const originalLookup = dns.lookup;
let relay: LocalRelay;

beforeAll(async () => {
  (dns as { lookup: unknown }).lookup = (hostname: string, ...rest: unknown[]) => {
    if (hostname === 'localhost' || hostname.startsWith('127.')) return (originalLookup as (...args: unknown[]) => void)(hostname, ...rest);
    lookups.push(hostname);
    const callback = rest.at(-1) as (error: Error) => void;
    callback(Object.assign(new Error(`test blocked a lookup of ${hostname}`), { code: 'ENOTFOUND' }));
  };
  relay = await startLocalRelay({
    smartConnectEnvironment: officialEnvironments.prod,
    env: { SMARTCONNECT_ENVIRONMENT_CACHE_SECONDS: '0.001', POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
});
afterAll(async () => {
  (dns as { lookup: unknown }).lookup = originalLookup;
  await relay.close();
});

test.each([officialEnvironments.prod, 'https://api.smart-connect.cloud./POS', 'https://API.smart-connect.cloud/pos/'])(
  'dev refuses production (%s) with a 500 and never looks it up',
  async (value) => {
    relay.ssm.set(relay.parameterName, value);
    const answer = await pairRequest(relay, '12345678');
    expectProblem(answer, 500, 'relay-misconfigured');
    expect(answer.body.detail).toMatch(/must not use SmartConnect production/);
    expect(lookups.filter((host) => host.includes('smart-connect'))).toEqual([]);
  },
);
