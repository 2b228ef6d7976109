import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startLocalRelay, type LocalRelay } from '../../local/local-relay.ts';
import { closedPort, expectProblem, pairRequest } from '../support/relay-client.ts';

let relay: LocalRelay;

beforeAll(async () => {
  relay = await startLocalRelay({
    smartConnectEnvironment: `https://127.0.0.1:${await closedPort()}/POS`,
    env: { SMARTCONNECT_TIMEOUT_MS: '2000', POWERTOOLS_LOG_LEVEL: 'SILENT' },
  });
});
afterAll(() => relay.close());

test('connection refused → 502 that says the relay could not connect, quickly', async () => {
  const answer = await pairRequest(relay, '12345678');
  expectProblem(answer, 502, 'smartconnect-unavailable');
  expect(answer.body.detail).toMatch(/could not connect to SmartConnect \(ECONNREFUSED\)/);
  expect(answer.elapsedMs).toBeLessThan(2_000);
});
