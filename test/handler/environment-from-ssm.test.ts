import { afterAll, beforeAll, beforeEach, expect, test } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLocalRelay, type LocalRelay } from '../../local/local-relay.ts';
import type { Simulator } from '../../local/simulator/index.ts';
import { expectProblem, pairRequest } from '../support/relay-client.ts';

// One warm container, observed across its life: the order of these tests is the story.
const cacheSeconds = 1;
let relay: LocalRelay;
let sim: Simulator;

beforeAll(async () => {
  relay = await startLocalRelay({ env: { SMARTCONNECT_ENVIRONMENT_CACHE_SECONDS: String(cacheSeconds), POWERTOOLS_LOG_LEVEL: 'SILENT' } });
  sim = relay.simulator!;
});
afterAll(() => relay.close());
beforeEach(() => sim.clearRequests());

test('SSM unreachable with nothing cached → 503 configuration-unavailable, nothing sent', async () => {
  relay.ssm.fault('outage');
  const answer = await pairRequest(relay, sim.issuePairingCode());
  expectProblem(answer, 503, 'configuration-unavailable');
  expect(answer.headers.get('retry-after')).toBe('30');
  expect(sim.requests).toHaveLength(0);
  relay.ssm.fault(undefined);
});

test('parameter missing → 500 relay-misconfigured naming it, nothing sent', async () => {
  relay.ssm.delete(relay.parameterName);
  const answer = await pairRequest(relay, sim.issuePairingCode());
  expectProblem(answer, 500, 'relay-misconfigured');
  expect(answer.body.detail).toContain('/smartconnect/dev/environment');
  expect(sim.requests).toHaveLength(0);
});

test('once the parameter exists, a warm container reads SSM once per cache period', async () => {
  relay.ssm.set(relay.parameterName, sim.baseUrl);
  const before = relay.ssm.calls;
  for (let i = 0; i < 5; i += 1) expect((await pairRequest(relay, sim.issuePairingCode())).status).toBe(200);
  expect(relay.ssm.calls - before).toBe(1);
  expect(sim.requests).toHaveLength(5);
});

test('an SSM outage after the period keeps the value read earlier', async () => {
  relay.ssm.fault('outage');
  await sleep(cacheSeconds * 1000 + 50);
  const before = relay.ssm.calls;
  for (let i = 0; i < 3; i += 1) expect((await pairRequest(relay, sim.issuePairingCode())).status).toBe(200);
  // One refresh attempt (the SDK may try twice inside it), then the stale value serves a full period.
  expect(relay.ssm.calls - before).toBeGreaterThanOrEqual(1);
  expect(relay.ssm.calls - before).toBeLessThanOrEqual(2);
  expect(sim.requests).toHaveLength(3);
  relay.ssm.fault(undefined);
});
