/**
 * AWS SDK client settings for one service, from an environment. The SDK already honours
 * `AWS_ENDPOINT_URL_<SERVICE>`; this makes the endpoint explicit (so a caller's `vars` decide, not
 * only process.env) and, when it is a loopback stand-in (tests, local runs, a bundle run by hand),
 * supplies a region and placeholder credentials so the default credential chain never falls
 * through to the EC2 metadata service, which would be traffic leaving this machine.
 */
export type AwsService = 'SSM' | 'DYNAMODB' | 'SQS' | 'API_GATEWAY';

export interface StandInAwareConfig {
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export function awsClientConfig(vars: NodeJS.ProcessEnv, service: AwsService): StandInAwareConfig {
  const endpoint = vars[`AWS_ENDPOINT_URL_${service}`];
  if (!endpoint) return {};
  if (!isLoopback(endpoint)) return { endpoint };
  return {
    endpoint,
    region: vars.AWS_REGION ?? vars.AWS_DEFAULT_REGION ?? 'local',
    ...(vars.AWS_ACCESS_KEY_ID ? {} : { credentials: { accessKeyId: 'local-stand-in', secretAccessKey: 'local-stand-in' } }),
  };
}

export function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}
