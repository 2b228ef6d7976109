import { afterAll, beforeAll, beforeEach, expect, test } from '@jest/globals';
import { startLocalRelay, type LocalRelay } from '../../local/local-relay.ts';
import type { Simulator } from '../../local/simulator/index.ts';
import { expectProblem, pairRequest } from '../support/relay-client.ts';

// The prod stage pointed at anything but SmartConnect production (here: the simulator).
let relay: LocalRelay;
let sim: Simulator;

beforeAll(async () => {
  relay = await startLocalRelay({ stage: 'prod', env: { SMARTCONNECT_ENVIRONMENT_CACHE_SECONDS: '0.001', POWERTOOLS_LOG_LEVEL: 'SILENT' } });
  sim = relay.simulator!;
});
afterAll(() => relay.close());
beforeEach(() => sim.clearRequests());

test('prod refuses a non-production environment with a 500 naming the problem, and sends nothing', async () => {
  const answer = await pairRequest(relay, sim.issuePairingCode());
  expectProblem(answer, 500, 'relay-misconfigured');
  expect(answer.body.detail).toMatch(/prod stage only talks to https:\/\/api\.smart-connect\.cloud\/POS/);
  expect(sim.requests).toHaveLength(0);
});

test('prod refuses plain HTTP', async () => {
  relay.ssm.set(relay.parameterName, 'http://api.smart-connect.cloud/POS');
  const answer = await pairRequest(relay, sim.issuePairingCode());
  expectProblem(answer, 500, 'relay-misconfigured');
  expect(answer.body.detail).toMatch(/must use https/);
});

test('bad input is still a 400 before any configuration is read', async () => {
  expectProblem(await pairRequest(relay, 'abc'), 400, 'invalid-request');
});
