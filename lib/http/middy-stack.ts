/**
 * The HTTP concerns every relay route shares, as one middy stack: header normalisation, bounded
 * JSON bodies, CORS for configured origins, security headers and RFC 9457 error responses.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import httpCors from '@middy/http-cors';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpSecurityHeaders from '@middy/http-security-headers';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { corsExposeHeaders } from './cors.ts';
import { problemResponse, problems, RelayProblem } from './problem.ts';
import { RuntimeEnv } from '#runtime/runtime-config.ts';
import { logger } from '#runtime/container.ts';

export type ApiEvent = APIGatewayProxyEvent;
export type ApiResult = APIGatewayProxyResult;
export type JsonEvent<TBody = unknown> = Omit<ApiEvent, 'body'> & { body: TBody };

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResult {
  return { statusCode, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(body) };
}

/** Turns anything thrown into a problem response; a stray exception becomes a logged 500. */
export function toProblem(error: unknown): RelayProblem {
  if (error instanceof RelayProblem) return error;
  const status = (error as { statusCode?: unknown }).statusCode;
  // @middy/http-json-body-parser signals a wrong content type with 415 and unparsable JSON with 422.
  if (status === 415) return problems.unsupportedMediaType();
  if (status === 422) return problems.malformedJson();
  return problems.internal(error);
}

const problemResponses = (): MiddlewareObj<ApiEvent, ApiResult> => ({
  onError: (request) => {
    const problem = toProblem(request.error);
    // The request id goes on the lines that need it, rather than attaching the Lambda context to
    // the logger on every request (measurable on the warm path: npm run bench).
    const log = { code: problem.code, status: problem.status, detail: problem.detail, requestId: request.context?.awsRequestId };
    if (problem.status >= 500) logger.error('request failed', { ...log, error: problem.cause ?? problem });
    else logger.info('request refused', log);
    request.response = problemResponse(problem);
  },
});

/** Largest JSON body accepted: a sale's SaleData with many line items fits well inside. */
export const maxBodyBytes = 64 * 1024;

// API Gateway sends `body: null` when there is none; the parser wants text to report on. Oversized
// bodies are refused before they are parsed.
const boundedBody = (): MiddlewareObj<ApiEvent, ApiResult> => ({
  before: (request) => {
    request.event.body ??= '';
    if (Buffer.byteLength(request.event.body) > maxBodyBytes) throw problems.requestTooLarge(maxBodyBytes);
  },
});

export interface HttpHandlerOptions {
  /** Parse the body as JSON (routes that take a body). */
  readonly jsonBody?: boolean;
}

const securityHeaders = httpSecurityHeaders();

// Browser POS front-ends on the stage's configured origins only; no CORS headers at all otherwise.
const corsOrigins = (process.env[RuntimeEnv.corsAllowedOrigins] ?? '').split(',').map((o) => o.trim()).filter(Boolean);
const cors = corsOrigins.length
  ? httpCors({ origins: corsOrigins, exposeHeaders: corsExposeHeaders.join(', '), vary: 'Origin' })
  : undefined;

export function httpHandler<TEvent extends ApiEvent | JsonEvent>(
  handle: (event: TEvent, context: Context) => Promise<ApiResult>,
  options: HttpHandlerOptions = {},
) {
  // Middy's early-timeout would arm a timer per request; the SmartConnect call has its own deadline.
  // after/onError run in reverse order: problems are rendered first, then CORS and security headers
  // are added to every answer, errors included.
  const stack = middy<ApiEvent, ApiResult>({ timeoutEarlyInMillis: 0 })
    .use(securityHeaders);
  if (cors) stack.use(cors);
  stack.use(problemResponses()).use(httpHeaderNormalizer());
  if (options.jsonBody) stack.use(boundedBody()).use(httpJsonBodyParser());
  return stack.handler(handle as unknown as (event: ApiEvent, context: Context) => Promise<ApiResult>);
}
