/**
 * Every error the relay answers is an RFC 9457 problem: a stable machine-readable `code` for the
 * POS, and a `detail` written for the cashier or support person reading it.
 */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly [extension: string]: unknown;
}

export const problemContentType = 'application/problem+json';

export const problemType = (code: string): string => `urn:smartconnect-relay:problem:${code}`;

export class RelayProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly extensions: Readonly<Record<string, unknown>>;
  /** Extra response headers, e.g. Retry-After. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(init: {
    status: number;
    code: string;
    title: string;
    detail: string;
    extensions?: Record<string, unknown>;
    headers?: Record<string, string>;
    cause?: unknown;
  }) {
    super(init.detail, { cause: init.cause });
    this.name = 'RelayProblem';
    this.status = init.status;
    this.code = init.code;
    this.title = init.title;
    this.detail = init.detail;
    this.extensions = init.extensions ?? {};
    this.headers = init.headers ?? {};
  }

  toBody(): ProblemBody {
    return {
      ...this.extensions,
      type: problemType(this.code),
      title: this.title,
      status: this.status,
      detail: this.detail,
      code: this.code,
    };
  }
}

/** The API Gateway proxy result for a problem (kept here, free of runtime imports, for the local server). */
export function problemResponse(problem: RelayProblem): { statusCode: number; headers: Record<string, string>; body: string } {
  return {
    statusCode: problem.status,
    headers: { 'content-type': problemContentType, ...problem.headers },
    body: JSON.stringify(problem.toBody()),
  };
}

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** The catalogue: one factory per kind of problem, so codes and wording stay consistent. */
export const problems = {
  invalidRequest: (errors: readonly FieldError[]) =>
    new RelayProblem({
      status: 400,
      code: 'invalid-request',
      title: 'The request is not valid',
      detail: `Nothing was sent to the terminal. Fix ${errors.length === 1 ? 'this field' : 'these fields'} and try again: ${errors
        .map((e) => `${e.field}: ${e.message}`)
        .join('; ')}.`,
      extensions: { errors },
    }),

  malformedJson: () =>
    new RelayProblem({
      status: 400,
      code: 'malformed-json',
      title: 'The request body is not valid JSON',
      detail: 'Nothing was sent to the terminal. Send a JSON object as the request body.',
    }),

  unsupportedMediaType: () =>
    new RelayProblem({
      status: 415,
      code: 'unsupported-media-type',
      title: 'The request body must be JSON',
      detail: 'Nothing was sent to the terminal. Send the body with Content-Type: application/json.',
    }),

  requestTooLarge: (limitBytes: number) =>
    new RelayProblem({
      status: 413,
      code: 'request-too-large',
      title: 'The request body is too large',
      detail: `Nothing was sent to the terminal. Request bodies are limited to ${Math.round(limitBytes / 1024)} KB.`,
    }),

  rateLimited: (retryAfterSeconds: number) =>
    new RelayProblem({
      status: 429,
      code: 'rate-limited',
      title: 'Too many requests',
      detail: `Nothing was sent to the terminal. Your account's request rate is over its limit: wait ${retryAfterSeconds} s and try again.`,
      headers: { 'Retry-After': String(retryAfterSeconds) },
    }),

  routeNotFound: (method: string, path: string) =>
    new RelayProblem({
      status: 404,
      code: 'route-not-found',
      title: 'No such endpoint',
      detail: `The relay has no ${method} ${path}. Check the method and path against the API reference.`,
    }),

  /** SmartConnect itself refused the request (4xx): pass its status and words through. */
  smartConnectRejected: (status: number, message: string | undefined, headers: Record<string, string> = {}) =>
    new RelayProblem({
      status,
      code: 'smartconnect-rejected',
      title: 'SmartConnect refused the request',
      detail:
        message ??
        (status === 404
          ? 'SmartConnect did not recognise the request (404). The configured SmartConnect environment may be wrong: contact support.'
          : `SmartConnect refused the request with status ${status} and gave no reason.`),
      extensions: { smartConnectStatus: status, ...(message === undefined ? {} : { smartConnectError: message }) },
      headers,
    }),

  smartConnectUnavailable: (reason: string, cause?: unknown) =>
    new RelayProblem({
      status: 502,
      code: 'smartconnect-unavailable',
      title: 'SmartConnect could not be reached or answered wrongly',
      detail: `${reason} Try again in a moment; if it keeps happening, run the payment on the terminal by hand and contact support.`,
      cause,
    }),

  smartConnectTimeout: (timeoutMs: number, cause?: unknown) =>
    new RelayProblem({
      status: 504,
      code: 'smartconnect-timeout',
      title: 'SmartConnect did not answer in time',
      detail: `SmartConnect gave no answer within ${timeoutMs / 1000} s. Check the terminal before trying again.`,
      cause,
    }),

  /** The relay's own configuration is wrong: an operator must act; retrying will not help. */
  misconfigured: (reason: string, cause?: unknown) =>
    new RelayProblem({
      status: 500,
      code: 'relay-misconfigured',
      title: 'The relay is misconfigured',
      detail: `${reason} Nothing was sent to SmartConnect. Contact support: an operator must fix the configuration.`,
      cause,
    }),

  /** Configuration could not be read right now (e.g. SSM unreachable with nothing cached). */
  configurationUnavailable: (reason: string, cause?: unknown) =>
    new RelayProblem({
      status: 503,
      code: 'configuration-unavailable',
      title: 'The relay cannot read its configuration right now',
      detail: `${reason} Nothing was sent to SmartConnect. Try again in a minute.`,
      headers: { 'Retry-After': '30' },
      cause,
    }),

  internal: (cause?: unknown) =>
    new RelayProblem({
      status: 500,
      code: 'internal-error',
      title: 'Unexpected relay error',
      detail: 'The relay hit an unexpected error. Check the terminal before retrying, and contact support if it persists.',
      cause,
    }),
};
