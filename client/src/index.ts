/**
 * A typed client for the SmartConnect relay. Only the platform's `fetch`; the request and response
 * types are generated from the relay's OpenAPI document (generated-types.ts, `npm run openapi`).
 *
 * Money rules it keeps for you: every createTransaction has an Idempotency-Key (generated unless
 * you bring one, and returned so you can store it), retries reuse that key so the terminal is
 * asked at most once, redirects are never followed, and an unknown outcome is an error you must
 * handle (check the terminal), never something retried with a new key.
 *
 * verifyWebhookSignature checks a webhook delivery's Relay-Signature with Web Crypto (no dependency).
 */
import type {
  CreatedWebhookEndpoint,
  PairingResult,
  PairRegisterRequest,
  ProblemCode,
  RotatedWebhookEndpoint,
  Transaction,
  TransactionList,
  TransactionRequest,
  WebhookEndpointList,
  WebhookEndpointRequest,
} from './generated-types.ts';

export type * from './generated-types.ts';
export { problemCodes } from './generated-types.ts';
export { verifyWebhookSignature, type VerifyWebhookOptions } from './webhook-signature.ts';

export interface RelayClientOptions {
  /** e.g. `http://localhost:3000` or the stage's API URL (with its stage path). */
  readonly baseUrl: string;
  /** A POS platform API key; sent as `Authorization: Bearer <key>`. */
  readonly apiKey: string;
  /** Deadline of one HTTP request (ms), default 30 000. */
  readonly requestTimeoutMs?: number;
  /** How many times a retryable failure is retried, default 2. */
  readonly retries?: number;
  /** Another fetch (tests, instrumentation); the global one by default. */
  readonly fetch?: typeof fetch;
}

/** The relay answered with an RFC 9457 problem. Branch on `code`. */
export class RelayProblemError extends Error {
  readonly status: number;
  readonly code: ProblemCode | (string & {});
  readonly problem: Readonly<Record<string, unknown>>;
  /** From the Retry-After header, when the relay sent one. */
  readonly retryAfterSeconds: number | undefined;
  /** For `outcome-unknown`: the stored transaction, status UNKNOWN. Check the terminal. */
  readonly transaction: Transaction | undefined;

  constructor(status: number, problem: Record<string, unknown>, retryAfterSeconds: number | undefined) {
    super(`${status} ${String(problem.code ?? 'unknown-problem')}: ${String(problem.detail ?? problem.title ?? '')}`);
    this.name = 'RelayProblemError';
    this.status = status;
    this.code = String(problem.code ?? 'unknown-problem');
    this.problem = problem;
    this.retryAfterSeconds = retryAfterSeconds;
    this.transaction = (problem.transaction as Transaction | undefined) ?? undefined;
  }
}

export interface CreatedTransaction {
  readonly transaction: Transaction;
  /** The key the relay knows this sale attempt by: store it to find or retry the sale after a crash. */
  readonly idempotencyKey: string;
  /** True when the relay had it already (a retry): nothing was sent to the terminal again. */
  readonly replayed: boolean;
}

export interface WaitOptions {
  /** Give up waiting after this long (ms), default 5 minutes; the transaction as last seen is returned. */
  readonly timeoutMs?: number;
  /** Time between two GETs (ms), default 2 500; a Retry-After from the relay wins when longer. */
  readonly intervalMs?: number;
  /** Called with every state seen (for a "waiting for the terminal" screen). */
  readonly onUpdate?: (transaction: Transaction) => void;
  readonly signal?: AbortSignal;
}

export const isFinal = (transaction: Pick<Transaction, 'status'>): boolean => transaction.status === 'COMPLETED' || transaction.status === 'UNKNOWN';

/** Problems worth the same request again, after a pause: nothing was done, or the same key makes it safe. */
const retryableCodes = new Set(['rate-limited', 'smartconnect-unavailable', 'smartconnect-timeout', 'configuration-unavailable', 'relay-timeout', 'relay-failure', 'gateway-error', 'internal-error']);

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

interface Answer<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export class RelayClient {
  readonly #baseUrl: string;
  readonly #apiKey: string;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #fetch: typeof fetch;

  constructor(options: RelayClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#retries = options.retries ?? 2;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** PUT /pairing/{pairingCode}: pairs the register with the terminal showing the code. Not retried (codes are single use). */
  async pair(pairingCode: string, register: PairRegisterRequest, signal?: AbortSignal): Promise<PairingResult> {
    return (await this.#send<PairingResult>('PUT', `/pairing/${encodeURIComponent(pairingCode)}`, { body: register, signal, retry: false })).body;
  }

  /**
   * POST /transactions. Retries lost answers and transient failures with the same Idempotency-Key,
   * which the relay turns into "the same transaction": the terminal is asked at most once.
   * Throws RelayProblemError; `outcome-unknown` carries the UNKNOWN transaction.
   */
  async createTransaction(request: TransactionRequest, options: { idempotencyKey?: string; signal?: AbortSignal } = {}): Promise<CreatedTransaction> {
    const idempotencyKey = options.idempotencyKey ?? globalThis.crypto.randomUUID();
    const answer = await this.#send<Transaction>('POST', '/transactions', { body: request, headers: { 'idempotency-key': idempotencyKey }, signal: options.signal, retry: true });
    return { transaction: answer.body, idempotencyKey, replayed: answer.headers.get('idempotent-replayed') === 'true' };
  }

  async getTransaction(transactionId: string, signal?: AbortSignal): Promise<Transaction> {
    return (await this.#send<Transaction>('GET', `/transactions/${encodeURIComponent(transactionId)}`, { signal, retry: true })).body;
  }

  /** A register's transactions, newest first; pass `nextCursor` back as `cursor` for older ones. */
  async listTransactions(query: { posRegisterId: string; limit?: number; cursor?: string }, signal?: AbortSignal): Promise<TransactionList> {
    const params = new URLSearchParams({ posRegisterId: query.posRegisterId });
    if (query.limit !== undefined) params.set('limit', String(query.limit));
    if (query.cursor !== undefined) params.set('cursor', query.cursor);
    return (await this.#send<TransactionList>('GET', `/transactions?${params}`, { signal, retry: true })).body;
  }

  /** POST /webhook-endpoints. The answer's `secret` is shown only here: store it. Not retried (a retry could register it twice). */
  async createWebhookEndpoint(request: WebhookEndpointRequest, signal?: AbortSignal): Promise<CreatedWebhookEndpoint> {
    return (await this.#send<CreatedWebhookEndpoint>('POST', '/webhook-endpoints', { body: request, signal, retry: false })).body;
  }

  /** GET /webhook-endpoints: the account's endpoints, without secrets. */
  async listWebhookEndpoints(signal?: AbortSignal): Promise<WebhookEndpointList> {
    return (await this.#send<WebhookEndpointList>('GET', '/webhook-endpoints', { signal, retry: true })).body;
  }

  /** DELETE /webhook-endpoints/{endpointId}: deliveries to it stop. A 404 after a retried (lost) answer means it is gone already. */
  async deleteWebhookEndpoint(endpointId: string, signal?: AbortSignal): Promise<void> {
    await this.#send<unknown>('DELETE', `/webhook-endpoints/${encodeURIComponent(endpointId)}`, { signal, retry: true });
  }

  /** POST /webhook-endpoints/{endpointId}/rotate-secret: a new secret (shown only here); the old one signs for 24 h more. Not retried. */
  async rotateWebhookSecret(endpointId: string, signal?: AbortSignal): Promise<RotatedWebhookEndpoint> {
    return (await this.#send<RotatedWebhookEndpoint>('POST', `/webhook-endpoints/${encodeURIComponent(endpointId)}/rotate-secret`, { signal, retry: false })).body;
  }

  /**
   * Follows a transaction until it is COMPLETED or UNKNOWN, or the timeout passes (then the
   * transaction as last seen is returned, still PENDING or DELAYED: keep the sale open and ask again).
   */
  async waitForOutcome(transactionId: string, options: WaitOptions = {}): Promise<Transaction> {
    const deadline = Date.now() + (options.timeoutMs ?? 5 * 60_000);
    const interval = options.intervalMs ?? 2_500;
    for (;;) {
      let pause = interval;
      try {
        const transaction = await this.getTransaction(transactionId, options.signal);
        options.onUpdate?.(transaction);
        if (isFinal(transaction) || Date.now() + pause > deadline) return transaction;
      } catch (error) {
        // A GET that failed after its own retries: wait as told, then ask again, until the deadline.
        if (!(error instanceof RelayProblemError) || !retryableCodes.has(error.code) || Date.now() > deadline) throw error;
        pause = Math.max(interval, (error.retryAfterSeconds ?? 0) * 1000);
      }
      await sleep(Math.min(pause, Math.max(0, deadline - Date.now())), options.signal);
    }
  }

  async #send<T>(method: string, path: string, init: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal; retry: boolean }): Promise<Answer<T>> {
    for (let attempt = 0; ; attempt += 1) {
      const last = !init.retry || attempt >= this.#retries;
      let response: Response;
      try {
        const timeout = AbortSignal.timeout(this.#timeoutMs);
        response = await this.#fetch(`${this.#baseUrl}${path}`, {
          method,
          headers: {
            accept: 'application/json, application/problem+json',
            authorization: `Bearer ${this.#apiKey}`,
            ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
            ...init.headers,
          },
          body: init.body === undefined ? undefined : JSON.stringify(init.body),
          redirect: 'error',
          signal: init.signal ? AbortSignal.any([init.signal, timeout]) : timeout,
        });
      } catch (error) {
        // No answer (connection refused or reset, timeout): for a POST the same key keeps it safe.
        if (last || init.signal?.aborted) throw error;
        await sleep(backoff(attempt), init.signal);
        continue;
      }
      const text = await response.text();
      const body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
      if (response.ok) return { status: response.status, body: body as T, headers: response.headers };
      const retryAfter = Number(response.headers.get('retry-after'));
      const problem = new RelayProblemError(response.status, body, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
      if (last || !retryableCodes.has(problem.code)) throw problem;
      await sleep(Math.max(backoff(attempt), (problem.retryAfterSeconds ?? 0) * 1000), init.signal);
    }
  }
}

const backoff = (attempt: number) => 500 * 2 ** attempt;
