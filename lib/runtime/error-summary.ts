/**
 * What an error log may say about an error: its kind, code, HTTP status, timing and the relay's
 * problem code, and the same for its causes. Never its message, URL, request options or body: an
 * HTTP client error carries the whole request (the pairing URL with its code, the form with the
 * contact's name, email and phone, the polling URL with its token), and a message can quote any
 * of it.
 */
export interface ErrorSummary {
  readonly name?: string;
  /** `ETIMEDOUT`, `ECONNRESET`, `ERR_…`, or the relay's problem code. */
  readonly code?: string;
  /** HTTP status of the answer the error came with, or of the relay's problem. */
  readonly status?: number;
  /** How long the failed exchange took, when the client measured it. */
  readonly elapsedMs?: number;
  readonly cause?: ErrorSummary;
}

/** Plain codes only (`ECONNRESET`, `smartconnect-timeout`): anything else could be quoted data. */
const codePattern = /^[A-Za-z0-9_.-]{1,64}$/;
const namePattern = /^[A-Za-z0-9_.]{1,64}$/;

export function summariseError(error: unknown, depth = 0): ErrorSummary {
  if (typeof error !== 'object' || error === null) return { name: typeof error };
  const e = error as Record<string, unknown>;
  const name = typeof e.name === 'string' && namePattern.test(e.name) ? e.name : undefined;
  const code = typeof e.code === 'string' && codePattern.test(e.code) ? e.code : undefined;
  const response = typeof e.response === 'object' && e.response !== null ? (e.response as Record<string, unknown>) : undefined;
  const statuses = [response?.statusCode, e.statusCode, e.status, (e.$metadata as Record<string, unknown> | undefined)?.httpStatusCode];
  const status = statuses.find((s): s is number => typeof s === 'number' && Number.isInteger(s));
  const phases = (e.timings as { phases?: { total?: unknown } } | undefined)?.phases;
  const elapsedMs = typeof phases?.total === 'number' && Number.isFinite(phases.total) ? Math.round(phases.total) : undefined;
  const cause = depth < 3 && e.cause !== undefined ? summariseError(e.cause, depth + 1) : undefined;
  return {
    ...(name === undefined ? {} : { name }),
    ...(code === undefined ? {} : { code }),
    ...(status === undefined ? {} : { status }),
    ...(elapsedMs === undefined ? {} : { elapsedMs }),
    ...(cause === undefined ? {} : { cause }),
  };
}
