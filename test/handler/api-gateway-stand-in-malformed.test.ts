/**
 * The API Gateway stand-in (used by the tenant CLI tests) answers malformed requests with an AWS
 * JSON error and keeps serving, like the local relay (issue 7 item 5).
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { startApiGatewayStandIn, type ApiGatewayStandIn } from '../../local/stand-ins/api-gateway.ts';
import { rawRequest } from '../support/local-start.ts';

let standIn: ApiGatewayStandIn;
let port: number;

beforeAll(async () => {
  standIn = await startApiGatewayStandIn();
  port = Number(new URL(standIn.endpoint).port);
});
afterAll(() => standIn.close());

const get = (target: string, headers = '') => `GET ${target} HTTP/1.1\r\nHost: localhost\r\n${headers}\r\n`;

test.each([
  ['an empty path segment (//)', get('//'), 400],
  ['malformed percent-encoding in the path', get('/apikeys/%zz'), 400],
  ['__proto__ and constructor as query keys', get('/usageplans?__proto__=1&constructor=2'), 200],
  ['__proto__ as a header name', get('/usageplans', '__proto__: 1\r\n'), 200],
  ['an absolute-form target', get('http://evil.example/usageplans'), 400],
  ['a request line that is not HTTP', 'garbage\r\n\r\n', 400],
  ['an unknown method', 'BREW /usageplans HTTP/1.1\r\nHost: localhost\r\n\r\n', 400],
])('%s', async (_what, bytes, status) => {
  const answer = await rawRequest(port, bytes);
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toBe('application/json');
  expect(() => JSON.parse(answer.body) as unknown).not.toThrow();
  expect((await rawRequest(port, get('/usageplans'))).status).toBe(200);
});
