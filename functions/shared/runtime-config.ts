/**
 * The environment variables a relay function is configured by. The CDK construct sets them
 * (infra/relay-function.ts), the local server sets them for its in-process handlers, and nothing
 * else reads process.env, so this file is the whole contract between infrastructure and code.
 */
export const RuntimeEnv = {
  /** `dev` or `prod`: selects the environment guard. */
  stage: 'RELAY_STAGE',
  /** Name of the SSM parameter holding the SmartConnect base URL, e.g. `/smartconnect/dev/environment`. */
  environmentParameter: 'SMARTCONNECT_ENVIRONMENT_PARAMETER',
  /** How long a warm container keeps the parameter value before asking SSM again (seconds). */
  environmentCacheSeconds: 'SMARTCONNECT_ENVIRONMENT_CACHE_SECONDS',
  /** Deadline for one SmartConnect call, retries included (milliseconds). */
  smartConnectTimeoutMs: 'SMARTCONNECT_TIMEOUT_MS',
} as const;

export type Stage = 'dev' | 'prod';

export const defaults = {
  environmentCacheSeconds: 300,
  smartConnectTimeoutMs: 8_000,
} as const;
