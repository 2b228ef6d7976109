/**
 * Everything a relay function builds once per container, configured only by its environment
 * (see runtime-config.ts): the logger, the SSM client, the cached environment resolver and the
 * SmartConnect client. Handlers import these; tests build their own through the factories.
 */
import { GetParameterCommand, ParameterNotFound, SSMClient, type SSMClientConfig } from '@aws-sdk/client-ssm';
import { Logger } from '@aws-lambda-powertools/logger';
import { awsClientConfig } from './aws-client-config.ts';
import { defaults, RuntimeEnv } from './runtime-config.ts';
import { createEnvironmentResolver, ParameterMissingError } from '#smartconnect/smartconnect-environment.ts';
import { createSmartConnectClient } from '#smartconnect/smartconnect-client.ts';

const env = process.env;

export function positiveNumber(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return Number.isFinite(parsed) && parsed > 0 ? parsed : fallback;
}

export const logger = new Logger({ serviceName: env.POWERTOOLS_SERVICE_NAME ?? 'smartconnect-relay' });

export const ssm = new SSMClient(ssmClientConfig(env));

export const resolveSmartConnectEnvironment = createEnvironmentResolver({
  stage: env[RuntimeEnv.stage],
  parameterName: env[RuntimeEnv.environmentParameter],
  cacheMs: positiveNumber(env[RuntimeEnv.environmentCacheSeconds], defaults.environmentCacheSeconds) * 1000,
  readParameter: async (name) => {
    try {
      const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name }));
      if (!Parameter?.Value) throw new ParameterMissingError(name);
      return Parameter.Value;
    } catch (error) {
      throw error instanceof ParameterNotFound ? new ParameterMissingError(name, { cause: error }) : error;
    }
  },
  onStaleValue: (error) =>
    logger.warn('SSM unavailable; keeping the SmartConnect environment read earlier', { error: String(error) }),
});

export const smartConnect = createSmartConnectClient({
  timeoutMs: positiveNumber(env[RuntimeEnv.smartConnectTimeoutMs], defaults.smartConnectTimeoutMs),
});

/** Short SSM timeouts (≤ 3 s with the retry) keep a slow SSM well inside the function timeout. */
export function ssmClientConfig(vars: NodeJS.ProcessEnv): SSMClientConfig {
  return { maxAttempts: 2, requestHandler: { connectionTimeout: 500, requestTimeout: 1_000 }, ...awsClientConfig(vars, 'SSM') };
}
