import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startLocalRelay, type LocalRelay } from '../../local/local-relay.ts';
import { expectProblem, pairRequest, validPairing } from '../support/relay-client.ts';

// `RELAY_API_KEY=<anything> RELAY_VENDOR_NAME=… npm start`: a test harness may bring its own key.
let relay: LocalRelay;

beforeAll(async () => {
  relay = await startLocalRelay({ apiKey: 'harness-secret-123', posVendorNames: ['HarnessPOS'], env: { POWERTOOLS_LOG_LEVEL: 'SILENT' } });
});
afterAll(() => relay.close());

test('a free-form local key authenticates as the local tenant with its vendor name', async () => {
  expect(relay.apiKey).toBe('harness-secret-123');
  const paired = await pairRequest(relay, relay.simulator!.issuePairingCode(), { ...validPairing, posVendorName: 'HarnessPOS' });
  expect(paired.status).toBe(200);
  expectProblem(await pairRequest(relay, relay.simulator!.issuePairingCode(), validPairing), 403, 'vendor-not-allowed');
});

test('anything else still meets the real authorizer', async () => {
  expectProblem(await pairRequest({ url: relay.url, apiKey: 'harness-secret-12' }, '12345678'), 401, 'unauthorized');
  const tenantKey = await relay.addTenant(['Till2Go']);
  expect((await pairRequest({ url: relay.url, apiKey: tenantKey }, relay.simulator!.issuePairingCode())).status).toBe(200);
});
