import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { startLocalRelay, type LocalRelay } from '../../local/local-relay.ts';
import { smartConnectPosts } from '../support/transactions.ts';
import { captureOutput } from '../support/captured-output.ts';

// A route event without authorizer context (someone allowed to invoke the function in the account)
// is refused: 401, an ERROR log line with the request id, and nothing sent to SmartConnect.
let relay: LocalRelay;
const logged: string[] = [];

beforeAll(async () => {
  captureOutput(logged);
  relay = await startLocalRelay({ env: { POWERTOOLS_LOG_LEVEL: 'INFO' } });
});
afterAll(async () => {
  jest.restoreAllMocks();
  await relay.close();
});

const context = (awsRequestId: string) => ({ awsRequestId, getRemainingTimeInMillis: () => 20_000 }) as unknown as Context;

function event(method: string, path: string, body: unknown, extra: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    resource: path,
    headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: body === null ? null : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { stage: 'dev' } as APIGatewayProxyEvent['requestContext'],
    ...extra,
  };
}

test.each([
  ['create-transaction', () => event('POST', '/transactions', { transactionType: 'Card.Purchase', posRegisterId: 'r-1', posBusinessName: 'Shop', posVendorName: 'AnyPOS', amountTotal: 100 })],
  ['pair-register', () => event('PUT', '/pairing/12345678', { posRegisterId: 'r-1', posRegisterName: 'Till', posBusinessName: 'Shop', posVendorName: 'AnyPOS' }, { pathParameters: { pairingCode: relay.simulator!.issuePairingCode() } })],
  ['get-transaction', () => event('GET', `/transactions/${randomUUID()}`, null, { pathParameters: { transactionId: randomUUID() } })],
  ['list-transactions', () => event('GET', '/transactions', null, { queryStringParameters: { posRegisterId: 'r-1' } })],
])('%s without authorizer context → 401, logged at ERROR with the request id, nothing sent', async (name, build) => {
  const { handler } = (await import(`../../functions/${name}/handler.ts`)) as { handler: (e: APIGatewayProxyEvent, c: Context) => Promise<{ statusCode: number; body: string }> };
  const requestId = `direct-${randomUUID()}`;
  const sent = relay.simulator!.requests.filter((r) => r.route !== 'device').length;
  const result = await handler(build(), context(requestId));
  expect(result.statusCode).toBe(401);
  expect(JSON.parse(result.body)).toMatchObject({ code: 'unauthorized' });
  expect(relay.simulator!.requests.filter((r) => r.route !== 'device').length).toBe(sent);
  expect(smartConnectPosts(relay)).toHaveLength(0);
  const line = logged.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.requestId === requestId);
  expect(line).toMatchObject({ level: 'ERROR', status: 401 });
});
