import type { Stage } from '#runtime/runtime-config.ts';

/** SmartConnect's two public environments (docs/smartconnect.md §1). */
export const officialEnvironments = {
  dev: 'https://api-dev.smart-connect.cloud/POS',
  prod: 'https://api.smart-connect.cloud/POS',
} as const satisfies Record<Stage, string>;

const productionHost = new URL(officialEnvironments.prod).hostname;

export type EnvironmentCheck =
  | { readonly ok: true; readonly baseUrl: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Decides whether a stage may send traffic to a SmartConnect base URL. Pure, so the CDK stack
 * refuses a bad stage config at synth time with the same rule the Lambda applies at run time.
 *
 * - every stage: an absolute `https://` URL without credentials, query or fragment;
 * - prod: exactly the production environment (real money must never go anywhere else);
 * - dev: anything but the production host (SmartConnect forbids testing against production).
 */
export function checkEnvironment(stage: string, value: string): EnvironmentCheck {
  const refuse = (reason: string): EnvironmentCheck => ({ ok: false, reason });
  if (stage !== 'dev' && stage !== 'prod') {
    return refuse(`Unknown stage "${stage}": the relay only runs as "dev" or "prod".`);
  }
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return refuse(`The configured SmartConnect environment is not a URL: "${value}".`);
  }
  if (url.protocol !== 'https:') {
    return refuse(`The SmartConnect environment must use https:// (SmartConnect refuses plain HTTP); got "${url.protocol}//".`);
  }
  if (url.username || url.password || url.search || url.hash) {
    return refuse('The SmartConnect environment must not carry credentials, a query string or a fragment.');
  }
  // A trailing dot names the same host ("api.smart-connect.cloud." is production too).
  const host = url.hostname.replace(/\.$/, '');
  const baseUrl = `${url.protocol}//${host}${url.port ? `:${url.port}` : ''}${url.pathname.replace(/\/+$/, '')}`;
  if (stage === 'prod' && baseUrl !== officialEnvironments.prod) {
    return refuse(`The prod stage only talks to ${officialEnvironments.prod}; refusing "${value}".`);
  }
  if (stage === 'dev' && host === productionHost) {
    return refuse(`The dev stage must not use SmartConnect production (${productionHost}): testing there moves real money. Use ${officialEnvironments.dev} or a simulator.`);
  }
  return { ok: true, baseUrl };
}
