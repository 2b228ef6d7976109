import { ResponseType, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import { problemContentType, problemType } from '#http/problem.ts';
import { authorizerFailureProblem, unauthorizedProblem } from '#tenants/tenant-context.ts';

/**
 * API Gateway answers some requests itself (no or bad API key, throttled, unknown route, timeout…).
 * These make those answers the same RFC 9457 problems the handlers send, so a POS handles one error
 * format.
 *
 * No `Access-Control-Allow-Origin` here, on purpose: a gateway response header is a static value
 * (or a copy of a request header), and API Gateway cannot pick the request's origin out of the
 * configured list the way the handlers and the CDK preflight do. A static origin would be wrong for
 * every other origin in the list, and copying the request's `Origin` would allow every origin. So a
 * browser front-end sees these answers (401, 429, …) as a CORS failure without a readable body; POS
 * servers, the relay's real clients, are not subject to CORS and read them as they are.
 */
export interface GatewayProblem {
  readonly responseType: ResponseType;
  /** Also the HTTP status, so body and status cannot disagree. Unset on the fallbacks, whose status API Gateway picks per error. */
  readonly status?: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  /** Further response headers. Static values only: API Gateway cannot compute a gateway response header. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The body is exactly the problem's members, as a handler or the local server sends it, without the
   * `requestId` and `gatewayMessage` the other gateway problems add (the request id still travels in
   * API Gateway's `x-amzn-RequestId` header).
   */
  readonly exact?: true;
}

/** `Retry-After` of a throttled request: API Gateway's token buckets refill every second. */
export const throttledRetryAfterSeconds = 1;

/**
 * `Retry-After` of a request over the tenant's daily quota. The quota resets at 00:00 UTC, but a
 * gateway response header can only be a static value, so the exact wait (up to 24 h) cannot be sent.
 * One hour: a client that honours it tries at most 24 more times a day, and resumes within an hour of
 * the reset (or of support raising its quota); the detail names the reset time.
 */
export const quotaRetryAfterSeconds = 3600;


export const gatewayProblems: readonly GatewayProblem[] = [
  {
    // Every authentication failure, missing header included (API Gateway answers that one without
    // calling the authorizer): the same 401 as the local server, so no client can tell them apart.
    responseType: ResponseType.UNAUTHORIZED,
    status: unauthorizedProblem.status,
    code: unauthorizedProblem.code,
    title: unauthorizedProblem.title,
    detail: unauthorizedProblem.detail,
    headers: unauthorizedProblem.headers,
    exact: true,
  },
  {
    // The authorizer allows the whole stage to a valid key, so this is not expected: say so.
    responseType: ResponseType.ACCESS_DENIED,
    status: 403,
    code: 'access-denied',
    title: 'This API key may not call this endpoint',
    detail: 'Nothing was sent to the terminal. Your API key was recognised but is not allowed here; contact support with the requestId.',
  },
  {
    // The authorizer threw something other than "Unauthorized" (the tenant store was unreachable), or timed out.
    responseType: ResponseType.AUTHORIZER_FAILURE,
    ...authorizerFailureProblem,
  },
  {
    // API Gateway could not call the authorizer, or it answered something that is not a policy.
    responseType: ResponseType.AUTHORIZER_CONFIGURATION_ERROR,
    ...authorizerFailureProblem,
  },
  {
    // Methods require a usage-plan API key, which the authorizer supplies from the tenant record: a
    // tenant the admin CLI has not bound to a usage plan yet (or whose plan key was removed) ends here.
    responseType: ResponseType.INVALID_API_KEY,
    status: 403,
    code: 'account-not-set-up',
    title: 'Your account is not fully set up',
    detail: 'Nothing was sent to the terminal. Your API key is valid, but your account has no request limits assigned yet: ask support to finish setting up your account.',
  },
  {
    responseType: ResponseType.API_CONFIGURATION_ERROR,
    status: 500,
    code: 'gateway-misconfigured',
    title: "The relay's API is misconfigured",
    detail: 'Nothing was sent to the terminal. Contact support with the requestId; if your account was set up recently, ask support to finish setting it up.',
  },
  {
    // Per tenant (its usage plan) or for the whole stage (stage throttling): both are token buckets.
    responseType: ResponseType.THROTTLED,
    status: 429,
    code: 'rate-limited',
    title: 'Too many requests',
    detail: `Nothing was sent to the terminal. Requests are over your account's rate limit (or, rarely, the relay's overall one): wait ${throttledRetryAfterSeconds} s and try again.`,
    headers: { 'Retry-After': String(throttledRetryAfterSeconds) },
  },
  {
    responseType: ResponseType.QUOTA_EXCEEDED,
    status: 429,
    code: 'quota-exceeded',
    title: 'Daily request quota used up',
    detail: 'Nothing was sent to the terminal. Your account has used its daily request quota, which resets at 00:00 UTC. Ask support to raise it if you need more.',
    headers: { 'Retry-After': String(quotaRetryAfterSeconds) },
  },
  {
    // A managed rule of the web ACL (prod) blocked the request; the per-IP rate rule answers 429 itself (web-firewall.ts).
    responseType: ResponseType.WAF_FILTERED,
    status: 403,
    code: 'request-blocked',
    title: "The relay's firewall blocked the request",
    detail: 'Nothing was sent to the terminal. The request looked like an attack to the firewall; if it was a genuine request, contact support with the requestId.',
  },
  {
    // API Gateway raises this for a method and path it has no route for (no method here uses IAM authorisation).
    responseType: ResponseType.MISSING_AUTHENTICATION_TOKEN,
    status: 404,
    code: 'route-not-found',
    title: 'No such endpoint',
    detail: 'The relay has no such method and path. Check the method and path against the API reference.',
  },
  {
    responseType: ResponseType.REQUEST_TOO_LARGE,
    status: 413,
    code: 'request-too-large',
    title: 'The request is too large',
    detail: 'Nothing was sent to the terminal. Send a smaller request body.',
  },
  {
    responseType: ResponseType.INTEGRATION_TIMEOUT,
    status: 504,
    code: 'relay-timeout',
    title: 'The relay did not answer in time',
    detail: 'The request may have reached SmartConnect. Check the terminal before trying again.',
  },
  {
    responseType: ResponseType.INTEGRATION_FAILURE,
    status: 502,
    code: 'relay-failure',
    title: 'The relay failed',
    detail: 'The relay failed before answering; the request may have reached SmartConnect. Check the terminal before trying again.',
  },
  {
    // Gateway 4XX answers never reach the integration.
    responseType: ResponseType.DEFAULT_4XX,
    code: 'gateway-rejected',
    title: 'API Gateway refused the request',
    detail: 'Nothing was sent to the terminal. See gatewayMessage for the reason.',
  },
  {
    responseType: ResponseType.DEFAULT_5XX,
    code: 'gateway-error',
    title: 'API Gateway could not complete the request',
    detail: 'The request may have reached SmartConnect. Check the terminal before trying again.',
  },
];

/** The problem's fixed members as JSON, in the order the handlers' RelayProblem.toBody() writes them. */
export function problemJson(problem: Pick<GatewayProblem, 'code' | 'title' | 'status' | 'detail'>): string {
  return JSON.stringify({
    type: problemType(problem.code),
    title: problem.title,
    ...(problem.status === undefined ? {} : { status: problem.status }),
    detail: problem.detail,
    code: problem.code,
  });
}

/** The mapping template: fixed members as JSON, then the per-request members API Gateway fills in. */
export function problemTemplate(problem: GatewayProblem): string {
  const fixed = problemJson(problem);
  // The fixed text goes through Velocity: it must not contain a reference or a directive.
  if (/[$#]/.test(fixed)) throw new Error(`Gateway problem ${problem.code}: "$" and "#" would be read as Velocity.`);
  if (problem.exact) return fixed;
  // messageString is already a quoted JSON string.
  return `${fixed.slice(0, -1)},"requestId":"$context.requestId","gatewayMessage":$context.error.messageString}`;
}

/** Response headers as API Gateway wants them: static values in single quotes. */
export function problemHeaders(problem: GatewayProblem): Record<string, string> {
  const headers = { 'Content-Type': problemContentType, ...problem.headers };
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => {
      if (value.includes("'")) throw new Error(`Gateway problem ${problem.code}: header ${name} cannot contain a single quote.`);
      return [name, `'${value}'`];
    }),
  );
}

export function addGatewayProblems(api: RestApi): void {
  for (const problem of gatewayProblems) {
    api.addGatewayResponse(`Problem${problem.responseType.responseType}`, {
      type: problem.responseType,
      statusCode: problem.status === undefined ? undefined : String(problem.status),
      responseHeaders: problemHeaders(problem),
      // API Gateway uses the application/json template when none matches the client's Accept header.
      templates: { 'application/json': problemTemplate(problem) },
    });
  }
}
