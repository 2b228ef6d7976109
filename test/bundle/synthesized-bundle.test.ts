import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { startSimulator, type Simulator } from '../../local/simulator/index.ts';
import { startSsmStandIn, type SsmStandIn } from '../../local/ssm-stand-in.ts';
import { simulatorCaPath } from '../../local/local-relay.ts';
import { RuntimeEnv } from '../../functions/shared/runtime-config.ts';
import { invokeBundle, synthesizedFunctions, type SynthesizedFunction } from './invoke-bundle.ts';
import { validPairing } from '../support/relay-client.ts';

let sim: Simulator;
let ssm: SsmStandIn;

beforeAll(async () => {
  sim = await startSimulator();
  ssm = await startSsmStandIn();
});
afterAll(async () => {
  await sim.close();
  await ssm.close();
});
beforeEach(() => sim.clearRequests());

const pairingEvent = (code: string, body: unknown = validPairing) => ({
  httpMethod: 'PUT',
  resource: '/pairing/{pairingCode}',
  path: `/pairing/${code}`,
  headers: { 'Content-Type': 'application/json' },
  pathParameters: { pairingCode: code },
  queryStringParameters: null,
  body: JSON.stringify(body),
  isBase64Encoded: false,
  // What API Gateway adds once the authorizer has accepted the tenant's key.
  requestContext: { stage: 'dev', authorizer: { principalId: 'bundle-tenant', tenantId: 'bundle-tenant', keyId: 'bundletest12', posVendorNames: '["Till2Go"]' } },
});

const pairingFunction = (stage: string): SynthesizedFunction => {
  const fn = synthesizedFunctions(`SmartConnectRelay-${stage}`).find((f) => f.logicalId.startsWith('PairRegisterFunction'));
  if (!fn) throw new Error(`no function for ${stage} in cdk.out: run npm run synth`);
  return fn;
};

const extraEnv = () => ({ AWS_ENDPOINT_URL_SSM: ssm.endpoint, NODE_EXTRA_CA_CERTS: fileURLToPath(simulatorCaPath) });

describe.each(['dev', 'prod'])('the %s bundle', (stage) => {
  test('reads its own stage parameter', () => {
    expect(pairingFunction(stage).environment[RuntimeEnv.environmentParameter]).toBe(`/smartconnect/${stage}/environment`);
  });

  test('answers bad input with 400 without reading SSM or calling SmartConnect', async () => {
    const calls = ssm.calls;
    const result = await invokeBundle(pairingFunction(stage), pairingEvent('12ab'), extraEnv());
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).code).toBe('invalid-request');
    expect(ssm.calls).toBe(calls);
    expect(sim.requests).toHaveLength(0);
  });
});

test('the dev bundle pairs through the environment in SSM', async () => {
  ssm.set('/smartconnect/dev/environment', sim.baseUrl);
  const code = sim.issuePairingCode();
  const result = await invokeBundle(pairingFunction('dev'), pairingEvent(code), extraEnv());
  expect(result.statusCode).toBe(200);
  expect(JSON.parse(result.body).status).toBe('paired');
  expect(sim.requests.map((r) => [r.method, r.path])).toEqual([['PUT', `/POS/Pairing/${code}`]]);
  expect(sim.requests[0]!.form).toMatchObject({ POSRegisterID: validPairing.posRegisterId, POSVendorName: validPairing.posVendorName });
});

test('the dev bundle passes SmartConnect refusals through', async () => {
  ssm.set('/smartconnect/dev/environment', sim.baseUrl);
  const result = await invokeBundle(pairingFunction('dev'), pairingEvent('99999999'), extraEnv());
  expect(result.statusCode).toBe(400);
  expect(JSON.parse(result.body).detail).toBe('Invalid Pairing Code. Please make sure you entered the code correctly');
});

test('the prod bundle refuses a non-production environment and sends nothing', async () => {
  ssm.set('/smartconnect/prod/environment', sim.baseUrl);
  const result = await invokeBundle(pairingFunction('prod'), pairingEvent(sim.issuePairingCode()), extraEnv());
  expect(result.statusCode).toBe(500);
  expect(JSON.parse(result.body)).toMatchObject({ code: 'relay-misconfigured' });
  expect(sim.requests).toHaveLength(0);
});

test('a bundle whose parameter is missing answers 500 naming it', async () => {
  ssm.delete('/smartconnect/dev/environment');
  const result = await invokeBundle(pairingFunction('dev'), pairingEvent(sim.issuePairingCode()), extraEnv());
  expect(result.statusCode).toBe(500);
  expect(JSON.parse(result.body).detail).toContain('/smartconnect/dev/environment');
  expect(sim.requests).toHaveLength(0);
});
