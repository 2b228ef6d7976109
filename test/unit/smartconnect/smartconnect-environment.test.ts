import { describe, expect, test } from '@jest/globals';
import { createEnvironmentResolver, ParameterMissingError } from '#smartconnect/smartconnect-environment.ts';
import { RelayProblem } from '#http/problem.ts';

const parameterName = '/smartconnect/dev/environment';

function fakeSsm(initial: string | Error) {
  let answer: string | Error = initial;
  const ssm = {
    calls: 0,
    set: (next: string | Error) => {
      answer = next;
    },
    read: async (name: string) => {
      ssm.calls += 1;
      expect(name).toBe(parameterName);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return ssm;
}

function setup(initial: string | Error, stage = 'dev') {
  let clock = 1_000_000;
  const ssm = fakeSsm(initial);
  const stale: unknown[] = [];
  const resolve = createEnvironmentResolver({
    stage,
    parameterName,
    readParameter: ssm.read,
    cacheMs: 60_000,
    now: () => clock,
    onStaleValue: (error) => stale.push(error),
  });
  return { resolve, ssm, stale, advance: (ms: number) => (clock += ms) };
}

const rejection = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RelayProblem);
  return error as RelayProblem;
};

describe('createEnvironmentResolver', () => {
  test('reads SSM once per cache period and serves the guarded base URL', async () => {
    const { resolve, ssm, advance } = setup('https://api-dev.smart-connect.cloud/POS/');
    expect(await resolve()).toBe('https://api-dev.smart-connect.cloud/POS');
    advance(59_999);
    expect(await resolve()).toBe('https://api-dev.smart-connect.cloud/POS');
    expect(ssm.calls).toBe(1);
    ssm.set('https://127.0.0.1:9/POS');
    advance(1);
    expect(await resolve()).toBe('https://127.0.0.1:9/POS');
    expect(ssm.calls).toBe(2);
  });

  test('concurrent cold callers share one SSM read', async () => {
    const { resolve, ssm } = setup('https://api-dev.smart-connect.cloud/POS');
    const results = await Promise.all(Array.from({ length: 20 }, () => resolve()));
    expect(new Set(results)).toEqual(new Set(['https://api-dev.smart-connect.cloud/POS']));
    expect(ssm.calls).toBe(1);
  });

  test('keeps the last value through an SSM outage, and asks again only a period later', async () => {
    const { resolve, ssm, stale, advance } = setup('https://api-dev.smart-connect.cloud/POS');
    await resolve();
    ssm.set(new Error('ThrottlingException'));
    advance(60_000);
    expect(await resolve()).toBe('https://api-dev.smart-connect.cloud/POS');
    expect(await resolve()).toBe('https://api-dev.smart-connect.cloud/POS');
    expect(ssm.calls).toBe(2);
    expect(stale).toHaveLength(1);
    ssm.set('https://127.0.0.1:9/POS');
    advance(60_000);
    expect(await resolve()).toBe('https://127.0.0.1:9/POS');
    expect(ssm.calls).toBe(3);
  });

  test('SSM unreachable with nothing cached is a 503 that is retried on the next request', async () => {
    const { resolve, ssm } = setup(new Error('connect ECONNREFUSED'));
    const problem = await rejection(resolve());
    expect(problem.status).toBe(503);
    expect(problem.code).toBe('configuration-unavailable');
    expect(problem.headers['Retry-After']).toBe('30');
    ssm.set('https://api-dev.smart-connect.cloud/POS');
    expect(await resolve()).toBe('https://api-dev.smart-connect.cloud/POS');
    expect(ssm.calls).toBe(2);
  });

  test('a missing parameter is a 500 naming it', async () => {
    const { resolve } = setup(new ParameterMissingError(parameterName));
    const problem = await rejection(resolve());
    expect(problem.status).toBe(500);
    expect(problem.code).toBe('relay-misconfigured');
    expect(problem.detail).toContain(parameterName);
  });

  test('a value the stage guard refuses is a 500 with the reason, and stays refused for the period', async () => {
    const { resolve, ssm } = setup('https://api.smart-connect.cloud/POS', 'dev');
    const problem = await rejection(resolve());
    expect(problem.status).toBe(500);
    expect(problem.detail).toMatch(/must not use SmartConnect production/);
    await rejection(resolve());
    expect(ssm.calls).toBe(1);
  });

  test('prod refuses anything but production', async () => {
    const { resolve } = setup('https://api-dev.smart-connect.cloud/POS', 'prod');
    expect((await rejection(resolve())).detail).toMatch(/prod stage only talks to/);
  });

  test('no stage or parameter configured is a 500 without any SSM call', async () => {
    const ssm = fakeSsm('https://api-dev.smart-connect.cloud/POS');
    const resolve = createEnvironmentResolver({ stage: undefined, parameterName, readParameter: ssm.read, cacheMs: 1 });
    expect((await rejection(resolve())).code).toBe('relay-misconfigured');
    expect(ssm.calls).toBe(0);
  });
});
