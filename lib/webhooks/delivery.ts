/**
 * One delivery attempt: POST the event to the endpoint, at the address the URL policy just
 * checked (no second DNS lookup between check and connect), signed, within 10 s, never following
 * a redirect. And the retry schedule: exponential back-off with jitter.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { eventIdHeader, signatureFor, signatureHeader } from './signing.ts';

export const deliveryPolicy = {
  /** A 2xx within this is success; anything else (redirects included) is retried. */
  timeoutMs: 10_000,
  firstRetryMs: 30_000,
  maxRetryMs: 60 * 60_000,
  /** Retries go on at least this long after the first attempt, then the delivery is dead-lettered. */
  retryForMs: 72 * 60 * 60_000,
} as const;

/**
 * Wait before retry number `retry` (1 = the first retry): 30 s doubling up to 1 h, each drawn
 * between half and all of that ("equal jitter"), so endpoints that failed together do not retry
 * together. `scale` compresses time for `npm start` (documented in docs/webhooks.md).
 */
export function retryDelayMs(retry: number, random: () => number = Math.random, scale = 1): number {
  const ceiling = Math.min(deliveryPolicy.maxRetryMs, deliveryPolicy.firstRetryMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling * (0.5 + 0.5 * random()) * scale);
}

export interface PostRequest {
  readonly url: URL;
  /** The checked address to connect to. */
  readonly address: string;
  readonly eventId: string;
  readonly body: string;
  readonly secrets: readonly string[];
  readonly timestampSeconds: number;
  readonly timeoutMs?: number;
}

export type PostResult = { readonly ok: true; readonly status: number } | { readonly ok: false; readonly status?: number; readonly reason: string };

/** Pins the connection to `address`: whatever the host name resolves to now is not asked. */
const pinnedLookup = (address: string): LookupFunction => {
  const family = isIP(address);
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as LookupFunction;
};

export function postEvent(request: PostRequest): Promise<PostResult> {
  const { url, address, body } = request;
  const timeoutMs = request.timeoutMs ?? deliveryPolicy.timeoutMs;
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    const finish = (result: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const req = transport.request(
      url,
      {
        method: 'POST',
        agent: false,
        lookup: pinnedLookup(address),
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'smartconnect-relay-webhooks/1',
          [signatureHeader]: signatureFor(body, request.secrets, request.timestampSeconds),
          [eventIdHeader]: request.eventId,
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        // Drain (not keep) the answer; the status is all that counts.
        res.resume();
        res.on('end', () => {
          if (status >= 200 && status < 300) finish({ ok: true, status });
          else if (status >= 300 && status < 400) finish({ ok: false, status, reason: `answered ${status}; redirects are not followed` });
          else finish({ ok: false, status, reason: `answered ${status}` });
        });
        res.on('error', () => finish({ ok: false, status, reason: 'connection dropped while answering' }));
      },
    );
    const timer = setTimeout(() => {
      finish({ ok: false, reason: `no answer within ${timeoutMs / 1000} s` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, reason: `could not deliver (${error.code ?? error.message})` }));
    req.end(body);
  });
}
