/** The stage settings the relay stack refuses at synth, before AWS (or SmartConnect) would reject them after a deployment. */
import { minimumPollIntervalMs } from '#runtime/runtime-config.ts';
import type { StageConfig } from './stages.ts';
import { wafRateLimitBounds } from './web-firewall.ts';

/** API Gateway's bounds for an authorizer's result cache. */
const authorizerCacheBounds = { min: 0, max: 3600 } as const;

/** Refuses concurrency settings Lambda would reject, or that name a function the stage does not have. */
export function checkConcurrency(config: StageConfig, handlers: readonly string[]): void {
  const { stage, concurrency } = config;
  if (!Number.isInteger(concurrency.pollWorkerMax) || concurrency.pollWorkerMax < 2 || concurrency.pollWorkerMax > 1000) {
    throw new Error(`Stage ${stage}: concurrency.pollWorkerMax must be a whole number from 2 to 1000 (got ${concurrency.pollWorkerMax}).`);
  }
  for (const [handler, reserved] of Object.entries(concurrency.reserved)) {
    if (!handlers.includes(handler)) throw new Error(`Stage ${stage}: concurrency.reserved names "${handler}", which is not a function of the relay.`);
    if (!Number.isInteger(reserved) || reserved < 1) throw new Error(`Stage ${stage}: concurrency.reserved.${handler} must be a whole number, at least 1 (got ${reserved}).`);
  }
}

/** Refuses authentication, CORS, usage-plan and WAF settings API Gateway or WAF would reject, or that would open the API. */
export function checkAccessSettings(config: StageConfig): void {
  const { stage, authorizerCacheSeconds, usagePlan, throttling, waf } = config;
  const wholeNumber = (value: number, min: number, max = Number.MAX_SAFE_INTEGER) => Number.isInteger(value) && value >= min && value <= max;
  if (!wholeNumber(authorizerCacheSeconds, authorizerCacheBounds.min, authorizerCacheBounds.max)) {
    throw new Error(
      `Stage ${stage}: authorizerCacheSeconds must be a whole number of seconds from ${authorizerCacheBounds.min} to ${authorizerCacheBounds.max} (got ${authorizerCacheSeconds}).`,
    );
  }
  for (const name of ['rateLimit', 'burstLimit', 'dailyQuota'] as const) {
    if (!wholeNumber(usagePlan[name], 1)) throw new Error(`Stage ${stage}: usagePlan.${name} must be a whole number, at least 1 (got ${usagePlan[name]}).`);
  }
  for (const name of ['rateLimit', 'burstLimit'] as const) {
    if (usagePlan[name] > throttling[name]) {
      throw new Error(
        `Stage ${stage}: usagePlan.${name} (${usagePlan[name]}) exceeds the stage's throttling.${name} (${throttling[name]}); one tenant could never reach it.`,
      );
    }
  }
  if (!wholeNumber(waf.rateLimitPer5Minutes, wafRateLimitBounds.min, wafRateLimitBounds.max)) {
    throw new Error(
      `Stage ${stage}: waf.rateLimitPer5Minutes must be a whole number from ${wafRateLimitBounds.min} to ${wafRateLimitBounds.max} (got ${waf.rateLimitPer5Minutes}).`,
    );
  }
  for (const origin of config.corsAllowedOrigins) {
    const problem = corsOriginProblem(stage, origin);
    if (problem) throw new Error(`Stage ${stage}: CORS origin ${JSON.stringify(origin)} ${problem}.`);
  }
  if (new Set(config.corsAllowedOrigins).size !== config.corsAllowedOrigins.length) {
    throw new Error(`Stage ${stage}: corsAllowedOrigins lists an origin twice.`);
  }
}

/** Why an origin may not be allowed, or undefined: https only, but http://localhost on dev. */
function corsOriginProblem(stage: StageConfig['stage'], origin: string): string | undefined {
  if (origin.includes('*')) return 'is a wildcard: list each origin a browser front-end runs on';
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return 'is not a URL';
  }
  // Also rules out paths, query strings, credentials, trailing slashes and upper case: browsers send the exact origin.
  if (url.origin !== origin) return `is not an origin (scheme://host[:port]); did you mean ${JSON.stringify(url.origin)}?`;
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && url.hostname === 'localhost') {
    return stage === 'prod' ? 'uses http: prod allows https origins only' : undefined;
  }
  return 'does not use https (only dev may allow http://localhost)';
}

/** Refuses transaction settings that SmartConnect or DynamoDB would only reject (or misbehave on) after deployment. */
export function checkTransactionSettings(config: StageConfig): void {
  const { stage, pollIntervalMs, transactionRetentionDays, smartConnectTokenTtlSeconds } = config;
  if (!Number.isFinite(pollIntervalMs) || pollIntervalMs < minimumPollIntervalMs) {
    throw new Error(
      `Stage ${stage}: a poll interval of ${pollIntervalMs} ms is below SmartConnect's minimum of ${minimumPollIntervalMs} ms between two polls of a transaction (closer polls are answered 429).`,
    );
  }
  if (!Number.isInteger(transactionRetentionDays) || transactionRetentionDays < 1) {
    throw new Error(`Stage ${stage}: transactionRetentionDays must be a whole number of days, at least 1 (got ${transactionRetentionDays}).`);
  }
  if (!Number.isInteger(smartConnectTokenTtlSeconds) || smartConnectTokenTtlSeconds < 1) {
    throw new Error(`Stage ${stage}: smartConnectTokenTtlSeconds must be a whole number of seconds, at least 1 (got ${smartConnectTokenTtlSeconds}).`);
  }
}
