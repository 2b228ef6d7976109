import { ResponseType, type RestApi } from 'aws-cdk-lib/aws-apigateway';
import { problemContentType, problemType } from '../functions/shared/problem.ts';

/**
 * API Gateway answers some requests itself (throttled, unknown route, timeout…). These make those
 * answers the same RFC 9457 problems the handlers send, so a POS handles one error format.
 */
export interface GatewayProblem {
  readonly responseType: ResponseType;
  /** Also the HTTP status, so body and status cannot disagree. Unset on the fallbacks, whose status API Gateway picks per error. */
  readonly status?: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
}

export const gatewayProblems: readonly GatewayProblem[] = [
  {
    responseType: ResponseType.THROTTLED,
    status: 429,
    code: 'rate-limited',
    title: 'Too many requests',
    detail: 'The relay is receiving more requests than this stage allows. Nothing was sent to the terminal; wait a moment and try again.',
  },
  {
    // Without IAM-authorised methods, API Gateway raises this only for a method and path it has no route for.
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

/** The mapping template: fixed members as JSON, then the per-request members API Gateway fills in. */
export function problemTemplate(problem: GatewayProblem): string {
  const fixed = JSON.stringify({
    type: problemType(problem.code),
    title: problem.title,
    ...(problem.status === undefined ? {} : { status: problem.status }),
    detail: problem.detail,
    code: problem.code,
  });
  // messageString is already a quoted JSON string.
  return `${fixed.slice(0, -1)},"requestId":"$context.requestId","gatewayMessage":$context.error.messageString}`;
}

export function addGatewayProblems(api: RestApi): void {
  for (const problem of gatewayProblems) {
    api.addGatewayResponse(`Problem${problem.responseType.responseType}`, {
      type: problem.responseType,
      statusCode: problem.status === undefined ? undefined : String(problem.status),
      responseHeaders: { 'Content-Type': `'${problemContentType}'` },
      // API Gateway uses the application/json template when none matches the client's Accept header.
      templates: { 'application/json': problemTemplate(problem) },
    });
  }
}
