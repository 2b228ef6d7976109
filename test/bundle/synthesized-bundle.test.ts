import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startDynamoStandIn, type DynamoStandIn } from '../../local/stand-ins/dynamodb.ts';
import { createDynamoTenantStore } from '#tenants/tenant-store.ts';
import { tenantTableDefinition } from '#tenants/tenant-table.ts';
import { fileURLToPath } from 'node:url';
import { startSimulator, type Simulator } from '../../local/simulator/index.ts';
import { startSsmStandIn, type SsmStandIn } from '../../local/stand-ins/ssm.ts';
import { simulatorCaPath } from '../../local/local-relay.ts';
import { RuntimeEnv } from '#runtime/runtime-config.ts';
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

const pairingEvent = (code: string, body: unknown = validPairing, posVendorNames = '["Till2Go"]') => ({
  httpMethod: 'PUT',
  resource: '/pairing/{pairingCode}',
  path: `/pairing/${code}`,
  headers: { 'Content-Type': 'application/json' },
  pathParameters: { pairingCode: code },
  queryStringParameters: null,
  body: JSON.stringify(body),
  isBase64Encoded: false,
  // What API Gateway adds once the authorizer has accepted the tenant's key.
  requestContext: { stage: 'dev', authorizer: { principalId: 'bundle-tenant', tenantId: 'bundle-tenant', keyId: 'bundletest12', posVendorNames } },
});

const synthesized = (stage: string, logicalIdPrefix: string): SynthesizedFunction => {
  const fn = synthesizedFunctions(`SmartConnectRelay-${stage}`).find((f) => f.logicalId.startsWith(logicalIdPrefix));
  if (!fn) throw new Error(`no ${logicalIdPrefix} for ${stage} in cdk.out: run npm run synth`);
  return fn;
};
const pairingFunction = (stage: string) => synthesized(stage, 'PairRegisterFunction');

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

test('a direct invocation (no authorizer context, as an operator or a deployment check would send) is relayed', async () => {
  ssm.set('/smartconnect/dev/environment', sim.baseUrl);
  const code = sim.issuePairingCode();
  const { requestContext: _dropped, ...direct } = pairingEvent(code);
  const result = await invokeBundle(pairingFunction('dev'), direct, extraEnv());
  expect(result.statusCode).toBe(200);
  expect(sim.requests.map((r) => r.path)).toEqual([`/POS/Pairing/${code}`]);
});

test('through API Gateway, a tenant pairing with a vendor name it does not own gets 403 and nothing is sent', async () => {
  ssm.set('/smartconnect/dev/environment', sim.baseUrl);
  const result = await invokeBundle(pairingFunction('dev'), pairingEvent(sim.issuePairingCode(), validPairing, '["OtherPOS"]'), extraEnv());
  expect(result.statusCode).toBe(403);
  expect(JSON.parse(result.body).code).toBe('vendor-not-allowed');
  expect(sim.requests).toHaveLength(0);
});

describe.each(['dev', 'prod'])('the %s authorizer bundle', (stage) => {
  let dynamo: DynamoStandIn;
  let apiKey: string;
  const tableName = `smartconnect-relay-${stage}-tenants`;

  beforeAll(async () => {
    dynamo = await startDynamoStandIn([tenantTableDefinition(tableName)]);
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
    apiKey = (await createDynamoTenantStore(db, tableName).createTenant({ name: 'Acme POS', posVendorNames: ['AcmePOS'] })).issued.apiKey;
  });
  afterAll(() => dynamo.close());

  const authorizerEvent = (authorization?: string) => ({
    type: 'REQUEST',
    methodArn: `arn:aws:execute-api:ap-southeast-2:123456789012:abcdef1234/${stage}/POST/transactions`,
    headers: authorization === undefined ? {} : { Authorization: authorization },
    requestContext: { stage },
  });

  test('reads its stage table and allows a valid key for the whole stage, with the tenant as context', async () => {
    const fn = synthesized(stage, 'AuthorizeFunction');
    expect(fn.environment.TENANTS_TABLE).toBe(tableName);
    const result = (await invokeBundle(fn, authorizerEvent(`Bearer ${apiKey}`), { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint })) as unknown as Record<string, any>;
    expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow', Resource: `arn:aws:execute-api:ap-southeast-2:123456789012:abcdef1234/${stage}/*/*` });
    expect(result.context).toMatchObject({ posVendorNames: '["AcmePOS"]' });
  });

  test.each([undefined, 'Bearer scr_aaaaaaaaaaaa_' + 'A'.repeat(43), `Bearer ${'x'}`])('refuses %s with Unauthorized', async (authorization) => {
    await expect(invokeBundle(synthesized(stage, 'AuthorizeFunction'), authorizerEvent(authorization), { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint })).rejects.toThrow(/Unauthorized/);
  });
});
