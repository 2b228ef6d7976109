/**
 * Which SmartConnect a stage talks to: the base URL lives in SSM (`/smartconnect/<stage>/environment`)
 * so promotion from dev to prod needs no code change, and every value passes the stage guard
 * before any request leaves.
 */
import { checkEnvironment, type EnvironmentCheck } from './environment-guard.ts';
import { problems } from '#http/problem.ts';

export interface EnvironmentResolverOptions {
  readonly stage: string | undefined;
  readonly parameterName: string | undefined;
  /** Reads the parameter's current value; throws when SSM fails or the parameter is missing. */
  readonly readParameter: (name: string) => Promise<string>;
  readonly cacheMs: number;
  readonly now?: () => number;
  readonly onStaleValue?: (error: unknown) => void;
}

export class ParameterMissingError extends Error {
  constructor(name: string, options?: ErrorOptions) {
    super(`The SSM parameter ${name} does not exist.`, options);
    this.name = 'ParameterMissingError';
  }
}

/**
 * A per-container cache: at most one SSM read per cache period (concurrent callers share one read),
 * and while SSM is failing, a value read earlier keeps being used for another period rather than
 * failing payments on a transient outage.
 */
export function createEnvironmentResolver(options: EnvironmentResolverOptions): () => Promise<string> {
  const { stage, parameterName, readParameter, cacheMs, now = Date.now } = options;
  let cached: { check: EnvironmentCheck; expiresAt: number } | undefined;
  let reading: Promise<EnvironmentCheck> | undefined;

  const accept = (check: EnvironmentCheck): string => {
    if (check.ok) return check.baseUrl;
    throw problems.misconfigured(`The SmartConnect environment for this stage was refused: ${check.reason}`);
  };

  const refresh = async (): Promise<EnvironmentCheck> => {
    try {
      const check = checkEnvironment(stage ?? '', await readParameter(parameterName!));
      cached = { check, expiresAt: now() + cacheMs };
      return check;
    } catch (error) {
      if (cached) {
        options.onStaleValue?.(error);
        cached = { check: cached.check, expiresAt: now() + cacheMs };
        return cached.check;
      }
      if (error instanceof ParameterMissingError) throw problems.misconfigured(error.message, error);
      throw problems.configurationUnavailable('The relay could not read which SmartConnect environment to use.', error);
    } finally {
      reading = undefined;
    }
  };

  return async () => {
    if (!stage || !parameterName) {
      throw problems.misconfigured('The relay has no stage or SmartConnect environment parameter configured.');
    }
    if (cached && now() < cached.expiresAt) return accept(cached.check);
    reading ??= refresh();
    return accept(await reading);
  };
}
