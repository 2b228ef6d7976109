/**
 * The authorizer Lambda handler as deployed (module-scope DynamoDB store configured by env) against
 * a loopback dynalite table, plus the factory with the file store the local server will use.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, jest, test } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { generateApiKey, hashApiKey } from '#tenants/api-keys.ts';
import { RelayProblem } from '#http/problem.ts';
import { createDynamoTenantStore, createFileTenantStore, type IssuedKey, type TenantStore } from '#tenants/tenant-store.ts';
import { tenantTableDefinition } from '#tenants/tenant-table.ts';
import { authorizeProxyEvent, createAuthorizer, type AuthorizerResult } from '../../functions/authorize/authorizer.ts';
import { assertVendorAllowed, MissingAuthorizerContext, requireTenant, tenantFromEvent } from '#tenants/tenant-context.ts';
import { startDynamoStandIn, type DynamoStandIn } from '../../local/stand-ins/dynamodb.ts';
import { captureOutput } from '../support/captured-output.ts';

type Handler = (event: APIGatewayRequestAuthorizerEvent) => Promise<AuthorizerResult>;

const table = 'relay-tenants-test';
const apiArn = 'arn:aws:execute-api:ap-southeast-2:123456789012:abc123def4';
const methodArn = `${apiArn}/dev/POST/transactions`;
const envNames = ['TENANTS_TABLE', 'AWS_ENDPOINT_URL_DYNAMODB', 'POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_SERVICE_NAME'] as const;
const savedEnv = Object.fromEntries(envNames.map((name) => [name, process.env[name]]));

let dynamo: DynamoStandIn;
let client: DynamoDBClient;
let db: DynamoDBDocumentClient;
let store: TenantStore;
let handler: Handler;
let acme: IssuedKey;

/** Everything the process writes while a test runs: the Powertools logger writes to stdout. */
let output: string[] = [];

beforeAll(async () => {
  dynamo = await startDynamoStandIn([tenantTableDefinition(table)]);
  Object.assign(process.env, { TENANTS_TABLE: table, AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, POWERTOOLS_LOG_LEVEL: 'DEBUG', POWERTOOLS_SERVICE_NAME: 'authorizer-test' });
  client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  db = DynamoDBDocumentClient.from(client);
  store = createDynamoTenantStore(db, table);
  ({ handler } = (await import('../../functions/authorize/handler.ts')) as { handler: Handler });
  ({ issued: acme } = await store.createTenant({ name: 'Acme POS', posVendorNames: ['LocalPOS', 'AcmeTill'], tenantId: 'acme' }));
});

afterAll(async () => {
  client.destroy();
  await dynamo.close();
  for (const name of envNames) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
});

beforeEach(() => {
  output = [];
  captureOutput(output);
});
afterEach(() => {
  jest.restoreAllMocks();
});

function requestEvent(headers: Record<string, string> | null, arn = methodArn): APIGatewayRequestAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn: arn,
    resource: '/transactions',
    path: '/transactions',
    httpMethod: 'POST',
    headers,
    multiValueHeaders: headers && Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {} as APIGatewayRequestAuthorizerEvent['requestContext'],
  };
}

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

/** IAM resource matching: `*` spans any characters, `/` included. */
const iamAllows = (pattern: string, arn: string) =>
  new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(arn);

async function refusal(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the authorizer to refuse');
}

describe('a valid key', () => {
  test('gets an Allow policy for the whole stage, the tenant as principal and context', async () => {
    const result = await handler(requestEvent(bearer(acme.apiKey)));
    expect(result).toEqual({
      principalId: 'acme',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${apiArn}/dev/*/*` }],
      },
      context: { tenantId: 'acme', keyId: acme.keyId, posVendorNames: '["LocalPOS","AcmeTill"]' },
    });
    for (const value of Object.values(result.context)) expect(['string', 'number', 'boolean']).toContain(typeof value);
  });

  test('the one cached policy covers every route of the stage, and nothing else', async () => {
    const [statement] = (await handler(requestEvent(bearer(acme.apiKey)))).policyDocument.Statement as unknown as [{ Resource: string }];
    for (const route of ['GET/transactions', 'GET/transactions/0f8c', 'PUT/pairing/12345678', 'POST/transactions', 'GET/']) {
      expect(iamAllows(statement.Resource, `${apiArn}/dev/${route}`)).toBe(true);
    }
    expect(iamAllows(statement.Resource, `${apiArn}/prod/GET/transactions`)).toBe(false);
    expect(iamAllows(statement.Resource, 'arn:aws:execute-api:ap-southeast-2:123456789012:otherapi00/dev/GET/transactions')).toBe(false);
  });

  test('header name and scheme are case-insensitive', async () => {
    const result = await handler(requestEvent({ authorization: `bearer ${acme.apiKey}` }));
    expect(result.principalId).toBe('acme');
  });

  test('returns the tenant\'s usage-plan key as usageIdentifierKey when it has one', async () => {
    const { issued } = await store.createTenant({ name: 'Metered POS', posVendorNames: ['Metered'], tenantId: 'metered', throttling: { rateLimit: 5 } });
    await store.setUsagePlan('metered', { usagePlanId: 'plan-9', apiKeyId: 'k-9', apiKeyValue: 'metered-usage-identifier-000000001' });
    const result = await handler(requestEvent(bearer(issued.apiKey)));
    expect(result.usageIdentifierKey).toBe('metered-usage-identifier-000000001');
    expect(result.principalId).toBe('metered');
  });

  test('handlers read the tenant back from the request context', async () => {
    const result = await handler(requestEvent(bearer(acme.apiKey)));
    // API Gateway hands handlers the context plus principalId.
    const event = { requestContext: { authorizer: { ...result.context, principalId: result.principalId, integrationLatency: 12 } } };
    const tenant = tenantFromEvent(event);
    expect(tenant).toEqual({ tenantId: 'acme', keyId: acme.keyId, posVendorNames: ['LocalPOS', 'AcmeTill'] });
    expect(() => assertVendorAllowed(tenant!, 'LocalPOS')).not.toThrow();

    const forbidden = (() => {
      try {
        assertVendorAllowed(tenant!, 'Till2Go');
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(forbidden).toBeInstanceOf(RelayProblem);
    const body = (forbidden as RelayProblem).toBody();
    expect(body).toMatchObject({ status: 403, code: 'vendor-not-allowed', posVendorName: 'Till2Go', allowedPosVendorNames: ['LocalPOS', 'AcmeTill'] });
    expect(body.detail).toMatch(/Nothing was sent to the terminal/);
    expect(() => assertVendorAllowed(tenant!, 'localpos')).toThrow(RelayProblem);
  });

  test('with no authorizer context at all (a direct invocation) the request is refused with 401, never served as an all-vendor tenant', () => {
    for (const event of [{}, { requestContext: null }, { requestContext: { authorizer: null } }, { requestContext: { authorizer: undefined } }]) {
      expect(tenantFromEvent(event)).toBeUndefined();
      let refused: unknown;
      try {
        requireTenant(event);
      } catch (error) {
        refused = error;
      }
      expect(refused).toMatchObject({ status: 401, code: 'unauthorized' });
      // Marked, so the HTTP stack logs it at ERROR rather than as an ordinary refusal.
      expect((refused as Error).cause).toBeInstanceOf(MissingAuthorizerContext);
    }
  });

  test('an authorizer context that does not name a tenant properly is refused with 401', () => {
    for (const event of [
      { requestContext: { authorizer: {} } },
      { requestContext: { authorizer: { tenantId: 'acme' } } },
      { requestContext: { authorizer: { tenantId: 'acme', posVendorNames: 'LocalPOS' } } },
      { requestContext: { authorizer: { tenantId: 'acme', posVendorNames: '[1]' } } },
      { requestContext: { authorizer: { tenantId: '', posVendorNames: '[]' } } },
    ]) {
      expect(tenantFromEvent(event)).toBeUndefined();
      expect(() => requireTenant(event)).toThrow(expect.objectContaining({ status: 401, code: 'unauthorized' }));
    }
  });
});

describe('every invalid credential gets the identical Unauthorized', () => {
  const unknown = generateApiKey();
  const cases: [string, () => Record<string, string> | null][] = [
    ['no headers at all', () => null],
    ['no Authorization header', () => ({ 'Content-Type': 'application/json' })],
    ['an empty Authorization header', () => ({ Authorization: '' })],
    ['Basic instead of Bearer', () => ({ Authorization: `Basic ${Buffer.from(`x:${acme.apiKey}`).toString('base64')}` })],
    ['the bare key without a scheme', () => ({ Authorization: acme.apiKey })],
    ['Bearer with nothing after it', () => ({ Authorization: 'Bearer ' })],
    ['a malformed key', () => bearer('scr_nope_nope')],
    ['a truncated key', () => bearer(acme.apiKey.slice(0, -1))],
    ['a key with extra text', () => ({ Authorization: `Bearer ${acme.apiKey} extra` })],
    ['an unknown key', () => bearer(unknown.apiKey)],
    ['a known keyId with a wrong secret', () => bearer(generateApiKey(acme.keyId).apiKey)],
  ];

  test.each(cases)('%s', async (_label, headers) => {
    const error = await refusal(handler(requestEvent(headers())));
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe('Unauthorized');
    // Nothing but the message distinguishes it: no cause, no extra fields to leak a reason.
    expect(error.cause).toBeUndefined();
    expect(Object.keys(error)).toEqual([]);
  });

  test('two Authorization headers', async () => {
    const event = requestEvent(bearer(acme.apiKey));
    event.multiValueHeaders = { Authorization: [`Bearer ${acme.apiKey}`, 'Bearer scr_other'] };
    expect((await refusal(handler(event))).message).toBe('Unauthorized');
  });

  test('a revoked key, while the rotated one works', async () => {
    const { issued: old } = await store.createTenant({ name: 'Rotating POS', posVendorNames: ['Rot'], tenantId: 'rotating' });
    const fresh = await store.rotateKey('rotating');
    expect((await handler(requestEvent(bearer(old.apiKey)))).principalId).toBe('rotating');
    expect((await handler(requestEvent(bearer(fresh.apiKey)))).principalId).toBe('rotating');

    await store.revokeKey(old.keyId);
    const error = await refusal(handler(requestEvent(bearer(old.apiKey))));
    expect(error.message).toBe('Unauthorized');
    expect(Object.keys(error)).toEqual([]);
    expect((await handler(requestEvent(bearer(fresh.apiKey)))).context.keyId).toBe(fresh.keyId);
  });

  test('a key never admitted to its tenant\'s active set, and a key whose tenant is gone', async () => {
    const inactive = generateApiKey();
    const orphan = generateApiKey();
    const item = (key: typeof inactive, tenantId: string) => ({ pk: `KEY#${key.keyId}`, keyId: key.keyId, tenantId, hash: hashApiKey(key.apiKey), createdAt: new Date().toISOString() });
    await db.send(new PutCommand({ TableName: table, Item: item(inactive, 'acme') }));
    await db.send(new PutCommand({ TableName: table, Item: item(orphan, 'deleted-tenant') }));
    for (const key of [inactive, orphan]) expect((await refusal(handler(requestEvent(bearer(key.apiKey))))).message).toBe('Unauthorized');
  });
});

describe('logs', () => {
  test('name the keyId and reason of a refusal, and never contain a key or secret', async () => {
    const unknown = generateApiKey();
    const wrongSecret = generateApiKey(acme.keyId);
    const presented = [acme.apiKey, unknown.apiKey, wrongSecret.apiKey, `${acme.apiKey}x`];
    await handler(requestEvent(bearer(acme.apiKey)));
    for (const key of presented.slice(1)) await refusal(handler(requestEvent(bearer(key))));

    const logs = output.join('');
    const records = logs.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.length).toBeGreaterThanOrEqual(4);
    for (const key of presented) {
      expect(logs).not.toContain(key);
      expect(logs).not.toContain(key.slice(17, 60));
    }
    expect(logs).not.toMatch(/scr_[a-z2-7]{12}_/);
    expect(logs).not.toMatch(/Bearer/i);
    expect(records).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ message: 'authorized', tenantId: 'acme', keyId: acme.keyId }),
        expect.objectContaining({ message: 'authorization refused', reason: 'not-active', keyId: unknown.keyId }),
        expect.objectContaining({ message: 'authorization refused', reason: 'wrong-secret', keyId: acme.keyId }),
        expect.objectContaining({ message: 'authorization refused', reason: 'malformed', keyId: acme.keyId }),
      ]),
    );
  });
});

describe('faults that are not authentication answers', () => {
  test('a store failure is a 500 (AUTHORIZER_FAILURE), never a misleading 401', async () => {
    const logger = new Logger({ serviceName: 'authorizer-test', logLevel: 'SILENT' });
    const authorize = createAuthorizer({ logger, store: { findActiveKey: () => Promise.reject(new Error('connect ECONNREFUSED')) } });
    const error = await refusal(authorize(requestEvent(bearer(acme.apiKey))));
    expect(error.message).not.toBe('Unauthorized');
    // A malformed key never reaches the store: still the plain 401.
    expect((await refusal(authorize(requestEvent(bearer('scr_bad'))))).message).toBe('Unauthorized');
  });

  test('a methodArn the policy cannot be built from is a wiring fault, not a 401', async () => {
    const error = await refusal(handler(requestEvent(bearer(acme.apiKey), 'not-an-arn')));
    expect(error.message).not.toBe('Unauthorized');
  });
});

describe('the same authorizer over the local file store, as the local server runs it', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'authorize-file-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const proxyEvent = (headers: Record<string, string>): APIGatewayProxyEvent =>
    ({
      resource: '/transactions/{transactionId}',
      path: '/transactions/abc',
      httpMethod: 'GET',
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: { transactionId: 'abc' },
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      requestContext: { accountId: 'local', apiId: 'local', stage: 'dev', authorizer: undefined },
    }) as unknown as APIGatewayProxyEvent;

  test('valid → the requestContext.authorizer API Gateway would pass on; invalid or revoked → undefined (401)', async () => {
    const fileStore = createFileTenantStore(join(dir, 'tenants.json'));
    const logger = new Logger({ serviceName: 'authorizer-test', logLevel: 'SILENT' });
    const authorize = createAuthorizer({ store: fileStore, logger });
    const { issued } = await fileStore.createTenant({ name: 'Local', posVendorNames: ['LocalPOS'], tenantId: 'file-tenant' });

    const context = await authorizeProxyEvent(authorize, proxyEvent(bearer(issued.apiKey)));
    expect(context).toEqual({ principalId: 'file-tenant', tenantId: 'file-tenant', keyId: issued.keyId, posVendorNames: '["LocalPOS"]' });
    expect(tenantFromEvent({ requestContext: { authorizer: context } })?.posVendorNames).toEqual(['LocalPOS']);

    expect(await authorizeProxyEvent(authorize, proxyEvent({}))).toBeUndefined();
    expect(await authorizeProxyEvent(authorize, proxyEvent(bearer(generateApiKey().apiKey)))).toBeUndefined();
    await fileStore.revokeKey(issued.keyId);
    expect(await authorizeProxyEvent(authorize, proxyEvent(bearer(issued.apiKey)))).toBeUndefined();
  });
});
