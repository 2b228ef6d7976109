/**
 * The one place that speaks SmartConnect's wire format (docs/smartconnect.md §2): form-encoded
 * requests, JSON answers, `{"error": "..."}` 4xx bodies, and what each transport failure means
 * for the question that matters with money: did SmartConnect receive this?
 */
import { Agent } from 'node:https';
import got, { type Got, type RequestError } from 'got';
import { problems } from '#http/problem.ts';

/** A relay pairing request, in the relay's camelCase vocabulary. */
export interface PairingRequest {
  readonly posRegisterId: string;
  readonly posRegisterName: string;
  readonly posBusinessName: string;
  readonly posVendorName: string;
  readonly contactName?: string;
  readonly address?: string;
  readonly city?: string;
  readonly state?: string;
  readonly zipCode?: string;
  readonly email?: string;
  readonly phone?: string;
}

/** SmartConnect's field names (§2.1). "Contact Name" has a space in the docs and in live clients. */
const pairingFields = {
  posRegisterId: 'POSRegisterID',
  posRegisterName: 'POSRegisterName',
  posBusinessName: 'POSBusinessName',
  posVendorName: 'POSVendorName',
  contactName: 'Contact Name',
  address: 'Address',
  city: 'City',
  state: 'State',
  zipCode: 'ZipCode',
  email: 'Email',
  phone: 'Phone',
} as const satisfies Record<keyof PairingRequest, string>;

export function toForm<T extends object>(request: T, names: Record<keyof T, string>): string {
  const form = new URLSearchParams();
  for (const key of Object.keys(names) as (keyof T)[]) {
    const value = request[key];
    if (value !== undefined) form.append(names[key], String(value));
  }
  return form.toString();
}

/** What came back from one HTTP exchange, classified by what SmartConnect can have seen. */
export type Exchange =
  | { readonly kind: 'answer'; readonly status: number; readonly body: unknown; readonly retryAfterMs?: number }
  /** Failed before the TLS handshake completed: not one byte of the request left. */
  | { readonly kind: 'not-sent'; readonly reason: string; readonly error: unknown }
  /** Sent, or possibly sent, and no answer: SmartConnect may have acted on it. */
  | { readonly kind: 'no-answer'; readonly timedOut: boolean; readonly reason: string; readonly error: unknown };

/** SmartConnect's answer to `POST /Transaction` (§2.2). */
export type TransactionStart =
  | { readonly kind: 'started'; readonly smartConnectTransactionId: string | undefined; readonly pollingUrl: string }
  /** SmartConnect answered 4xx: it did not start the transaction. */
  | { readonly kind: 'refused'; readonly status: number; readonly message: string | undefined; readonly retryAfterMs?: number }
  /** The request provably never left: nothing can have started. */
  | { readonly kind: 'not-sent'; readonly reason: string }
  /** SmartConnect may have started it (timeout, reset after sending, 5xx, an answer without a polling URL). */
  | { readonly kind: 'ambiguous'; readonly reason: string };

/** SmartConnect's answer to a poll of the polling URL (§2.3). */
export type PollResult =
  | { readonly kind: 'status'; readonly body: Record<string, unknown> }
  | { readonly kind: 'rate-limited'; readonly retryAfterMs?: number }
  /** `401 Token expired`: the outcome can no longer be read from SmartConnect. */
  | { readonly kind: 'expired' }
  /** 401/403/404/410 otherwise: the polling URL is no longer valid. */
  | { readonly kind: 'invalid'; readonly status: number }
  /** Worth polling again: 5xx, network blips, unparsable bodies (§5 rule 12). */
  | { readonly kind: 'transient'; readonly reason: string };

export interface SmartConnectClientOptions {
  /** Deadline per attempt. A timed-out attempt is never retried; only connection failures that provably sent nothing are. */
  readonly timeoutMs: number;
  /** How many times to retry a call that provably never reached SmartConnect. */
  readonly connectRetries?: number;
}

export interface SmartConnectClient {
  /** Throws the relay problem for anything but a confirmed pairing. */
  pair(environment: string, pairingCode: string, request: PairingRequest): Promise<void>;
  startTransaction(environment: string, form: string): Promise<TransactionStart>;
  poll(pollingUrl: string): Promise<PollResult>;
}

const formContentType = 'application/x-www-form-urlencoded; charset=UTF-8';

/**
 * Before the TLS handshake completes, no byte of the request has left: such a failure (DNS,
 * refused or reset connection, handshake error) is the only kind that is safe to retry without an
 * idempotency key. Got marks a reused keep-alive socket as already handshaken, so a reset on a
 * reused connection is, correctly, not retried.
 */
export const provablyNotSent = (error: RequestError): boolean => error.timings?.secureConnect === undefined;

export function createSmartConnectClient(options: SmartConnectClientOptions): SmartConnectClient {
  const { timeoutMs } = options;
  // Built once per container: one keep-alive pool and one normalised got instance, so a warm
  // request does no per-call setup beyond its own URL and body.
  const http: Got = got.extend({
    agent: { https: new Agent({ keepAlive: true, maxSockets: 64 }) },
    headers: { accept: 'application/json', 'user-agent': 'smartconnect-relay' },
    followRedirect: false, // a redirect could carry a payment (or the polling token) to another host
    throwHttpErrors: false, // statuses are classified below, in one place
    responseType: 'text',
    decompress: false,
    timeout: { request: timeoutMs },
    retry: {
      limit: options.connectRetries ?? 2,
      methods: ['GET', 'PUT', 'POST'],
      statusCodes: [], // an HTTP answer means SmartConnect saw the request: never resend it
      backoffLimit: 250,
      // Timeouts are never retried, so one call stays within its deadline.
      calculateDelay: ({ error, computedValue }) =>
        computedValue > 0 && error.name !== 'TimeoutError' && provablyNotSent(error) ? computedValue : 0,
    },
  });
  // Requests with a body get their content type from their own instance, not a per-call merge.
  const formHttp: Got = http.extend({ headers: { 'content-type': formContentType } });

  async function exchange(method: 'PUT' | 'POST' | 'GET', url: string, body?: string): Promise<Exchange> {
    try {
      const response = await (body === undefined ? http(url, { method }) : formHttp(url, { method, body }));
      return { kind: 'answer', status: response.statusCode, body: parseJson(response.body), retryAfterMs: retryAfterMs(response.headers['retry-after']) };
    } catch (caught) {
      const error = caught as RequestError;
      const code = error.code ?? error.name;
      if (error.name !== 'TimeoutError' && provablyNotSent(error)) return { kind: 'not-sent', reason: code, error };
      return { kind: 'no-answer', timedOut: error.name === 'TimeoutError', reason: code, error };
    }
  }

  return {
    async pair(environment, pairingCode, request) {
      const result = await exchange('PUT', `${environment}/Pairing/${encodeURIComponent(pairingCode)}`, toForm(request, pairingFields));
      if (result.kind === 'not-sent') {
        throw problems.smartConnectUnavailable(`The relay could not connect to SmartConnect (${result.reason}).`, result.error);
      }
      if (result.kind === 'no-answer') {
        if (result.timedOut) throw problems.smartConnectTimeout(timeoutMs, result.error);
        throw problems.smartConnectUnavailable(`The connection to SmartConnect broke before it answered (${result.reason}).`, result.error);
      }
      const { status, body } = result;
      if (status >= 400 && status < 500) {
        throw problems.smartConnectRejected(status, errorMessage(body), result.retryAfterMs === undefined ? {} : { 'Retry-After': String(Math.ceil(result.retryAfterMs / 1000)) });
      }
      if (status >= 300 && status < 400) {
        throw problems.smartConnectUnavailable(`SmartConnect answered with a redirect (${status}), which the relay never follows.`);
      }
      if (status >= 500) throw problems.smartConnectUnavailable(`SmartConnect had an internal error (${status}).`);
      if (!isObject(body)) throw problems.smartConnectUnavailable(`SmartConnect answered ${status} with a body that is not a JSON object.`);
      if (body.result !== 'success') {
        throw problems.smartConnectUnavailable('SmartConnect answered without confirming the pairing, so the register may not be paired.');
      }
    },

    async startTransaction(environment, form) {
      const result = await exchange('POST', `${environment}/Transaction`, form);
      if (result.kind === 'not-sent') return { kind: 'not-sent', reason: result.reason };
      if (result.kind === 'no-answer') {
        return { kind: 'ambiguous', reason: result.timedOut ? `no answer within ${timeoutMs / 1000} s` : `connection broke (${result.reason})` };
      }
      const { status, body } = result;
      if (status >= 400 && status < 500) return { kind: 'refused', status, message: errorMessage(body), retryAfterMs: result.retryAfterMs };
      const data = isObject(body) && isObject(body.data) ? body.data : undefined;
      if (status >= 200 && status < 300 && typeof data?.PollingUrl === 'string' && data.PollingUrl.startsWith('https://')) {
        const id = isObject(body) && typeof body.transactionId === 'string' ? body.transactionId : undefined;
        return { kind: 'started', smartConnectTransactionId: id, pollingUrl: data.PollingUrl };
      }
      return { kind: 'ambiguous', reason: status >= 300 ? `SmartConnect answered ${status}` : `SmartConnect answered ${status} without a usable polling URL` };
    },

    async poll(pollingUrl) {
      const result = await exchange('GET', pollingUrl);
      if (result.kind !== 'answer') return { kind: 'transient', reason: result.reason };
      const { status, body } = result;
      if (status === 200 && isObject(body) && typeof body.transactionStatus === 'string') return { kind: 'status', body };
      if (status === 429) return { kind: 'rate-limited', retryAfterMs: result.retryAfterMs };
      if (status === 401 && /expired/i.test(errorMessage(body) ?? '')) return { kind: 'expired' };
      if ([401, 403, 404, 410].includes(status)) return { kind: 'invalid', status };
      return { kind: 'transient', reason: status === 200 ? 'unreadable poll answer' : `SmartConnect answered ${status}` };
    },
  };
}

function errorMessage(body: unknown): string | undefined {
  return isObject(body) && typeof body.error === 'string' && body.error ? body.error : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function retryAfterMs(header: string | undefined): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
