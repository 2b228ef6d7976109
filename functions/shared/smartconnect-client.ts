/**
 * The one place that speaks SmartConnect's wire format (smartconnect-api.md §2): form-encoded
 * requests, JSON answers, `{"error": "..."}` 4xx bodies, and what each transport failure means
 * for "did SmartConnect receive this?".
 */
import { Agent } from 'node:https';
import got, { type Got, type RequestError, type Response } from 'got';
import { problems } from './problem.ts';

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

export interface SmartConnectClientOptions {
  /** Deadline per attempt. A timed-out attempt is never retried; only connection failures that provably sent nothing are. */
  readonly timeoutMs: number;
  /** How many times to retry a call that provably never reached SmartConnect. */
  readonly connectRetries?: number;
}

export interface SmartConnectClient {
  pair(environment: string, pairingCode: string, request: PairingRequest): Promise<void>;
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
    headers: { accept: 'application/json', 'content-type': formContentType, 'user-agent': 'smartconnect-relay' },
    followRedirect: false, // a redirect could carry a payment to another host
    throwHttpErrors: false, // statuses are mapped below, in one place
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

  async function send(method: 'PUT' | 'POST' | 'GET', url: string, body?: string): Promise<unknown> {
    let response: Response<string>;
    try {
      response = await http(url, { method, body });
    } catch (error) {
      throw transportProblem(error as RequestError, timeoutMs);
    }
    return interpret(response);
  }

  return {
    async pair(environment, pairingCode, request) {
      const answer = await send('PUT', `${environment}/Pairing/${encodeURIComponent(pairingCode)}`, toForm(request, pairingFields));
      if ((answer as { result?: unknown }).result !== 'success') {
        throw problems.smartConnectUnavailable('SmartConnect answered without confirming the pairing, so the register may not be paired.');
      }
    },
  };
}

function interpret(response: Response<string>): unknown {
  const { statusCode } = response;
  if (statusCode >= 200 && statusCode < 300) {
    const body = parseJson(response.body);
    if (body === undefined || typeof body !== 'object' || body === null) {
      throw problems.smartConnectUnavailable(`SmartConnect answered ${statusCode} with a body that is not a JSON object.`);
    }
    return body;
  }
  if (statusCode >= 400 && statusCode < 500) {
    const error = (parseJson(response.body) as { error?: unknown } | undefined)?.error;
    const retryAfter = response.headers['retry-after'];
    throw problems.smartConnectRejected(
      statusCode,
      typeof error === 'string' && error ? error : undefined,
      retryAfter ? { 'Retry-After': String(retryAfter) } : {},
    );
  }
  if (statusCode >= 300 && statusCode < 400) {
    throw problems.smartConnectUnavailable(`SmartConnect answered with a redirect (${statusCode}), which the relay never follows.`);
  }
  throw problems.smartConnectUnavailable(`SmartConnect had an internal error (${statusCode}).`);
}

function transportProblem(error: RequestError, timeoutMs: number) {
  if (error.name === 'TimeoutError') return problems.smartConnectTimeout(timeoutMs, error);
  const reason = provablyNotSent(error)
    ? `The relay could not connect to SmartConnect (${error.code ?? error.name}).`
    : `The connection to SmartConnect broke before it answered (${error.code ?? error.name}).`;
  return problems.smartConnectUnavailable(reason, error);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
