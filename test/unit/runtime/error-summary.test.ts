import { expect, test } from '@jest/globals';
import { RequestError } from 'got';
import { summariseError } from '#runtime/error-summary.ts';
import { problems } from '#http/problem.ts';

test('summariseError keeps kind, code, status and timing, and drops messages, URLs, options and bodies', () => {
  const secret = 'https://sim.example/POS/Pairing/82239319?Contact%20Name=Zelda&Email=z%40example.com';
  const http = Object.assign(new Error(`Timeout awaiting 'request' for 1000ms: PUT ${secret}`), {
    name: 'TimeoutError',
    code: 'ETIMEDOUT',
    options: { url: secret, body: 'Contact+Name=Zelda&Phone=0491570156' },
    timings: { phases: { total: 1003.4 } },
    response: { statusCode: 504, body: '{"error":"Zelda"}' },
  });
  const problem = problems.smartConnectTimeout(1000, http);
  const summary = summariseError(problem);
  expect(summary).toEqual({ name: 'RelayProblem', code: 'smartconnect-timeout', status: 504, cause: { name: 'TimeoutError', code: 'ETIMEDOUT', status: 504, elapsedMs: 1003 } });
  expect(JSON.stringify(summary)).not.toMatch(/Zelda|82239319|Pairing|example|0491570156/);
});

test('codes or names that could quote data are left out; non-errors are named by type', () => {
  expect(summariseError(Object.assign(new Error('x'), { code: 'see https://a.example/?token=abc' }))).toEqual({ name: 'Error' });
  expect(summariseError('a string with a URL https://x')).toEqual({ name: 'string' });
  expect(summariseError(undefined)).toEqual({ name: 'undefined' });
  expect(summariseError(new RequestError('boom', {}, undefined as never))).toMatchObject({ name: 'RequestError' });
});
