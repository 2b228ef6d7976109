/**
 * The transaction lifecycle: an idempotent create that sends each payment to SmartConnect at most
 * once, and a poll step that follows it to a durable outcome. SmartConnect has no idempotency key
 * and forgets the outcome's URL after ~15 minutes; these two functions are what make it safe.
 */
import { recordTransactionStarted } from '#runtime/telemetry.ts';
import { createHash, randomUUID } from 'node:crypto';
import { createTransactionPoller, type UnresolvedEvent } from './transaction-poll.ts';
import type { PollScheduler } from './poll-scheduler.ts';
import { problems, RelayProblem } from '#http/problem.ts';
import type { SmartConnectClient } from '#smartconnect/smartconnect-client.ts';
import { toTransactionForm, type TransactionRequest } from './transaction-request.ts';
import { toResource } from './transaction-resource.ts';
import type { IdempotencyItem, StoredAnswer, TransactionRecord, TransactionStore } from './transaction-store.ts';

export interface TransactionServiceOptions {
  readonly store: TransactionStore;
  readonly smartConnect: SmartConnectClient;
  readonly resolveEnvironment: () => Promise<string>;
  readonly scheduler: PollScheduler;
  readonly pollIntervalMs: number;
  /** SmartConnect's polling token lifetime, counted from the POST. */
  readonly tokenTtlMs: number;
  /** Longest a create can be between "recorded" and "SmartConnect answered"; after it, the poll step's watchdog calls it UNKNOWN. */
  readonly sendDeadlineMs: number;
  /** How long a duplicate waits for the original create's answer before 409 idempotency-key-in-progress. Default: sendDeadlineMs, at most 20 s. */
  readonly inFlightWaitMs?: number;
  readonly now?: () => number;
  readonly newId?: () => string;
  readonly log?: (message: string, attributes: Record<string, unknown>) => void;
  /** A transaction that ended UNKNOWN: logged at ERROR and counted by the runtime. */
  readonly onUnresolved?: (event: UnresolvedEvent) => void;
  /** Told of each stored state a POS is notified of (final, UNKNOWN, first DELAYED); must not throw. */
  readonly onEvent?: (record: TransactionRecord) => Promise<void>;
}

export type CreateResult = { readonly replayed: boolean; readonly record: TransactionRecord };
export type { PollStepResult } from './transaction-poll.ts';

/** API Gateway gives up after 29 s: a duplicate never waits longer than this for the original. */
const maxInFlightWaitMs = 20_000;

export function createTransactionService(options: TransactionServiceOptions) {
  const { store, smartConnect, scheduler, pollIntervalMs, tokenTtlMs, sendDeadlineMs } = options;
  const now = options.now ?? Date.now;
  const newId = options.newId ?? randomUUID;
  const log = options.log ?? (() => undefined);
  const iso = (ms: number) => new Date(ms).toISOString();
  const inFlightWaitMs = options.inFlightWaitMs ?? Math.min(sendDeadlineMs, maxInFlightWaitMs);
  const poller = createTransactionPoller({ store, smartConnect, scheduler, pollIntervalMs, tokenTtlMs, sendDeadlineMs, now, log, onUnresolved: options.onUnresolved, onEvent: options.onEvent });

  /**
   * Ends a create that produced no transaction (SmartConnect refused it, nothing could be sent,
   * the register was busy): its answer is stored on the key first, so every request with that key,
   * concurrent or later, gets this same answer and none sends another POST (Stripe's rule).
   */
  async function refuse(record: TransactionRecord, problem: RelayProblem): Promise<RelayProblem> {
    const answer = withExtensions(problem, { charged: false, retryWithNewIdempotencyKey: true });
    await store.storeAnswer(record.tenantId, record.idempotencyKey, record.id, { status: answer.status, headers: { ...answer.headers }, body: { ...answer.toBody() } });
    await store.releaseRegisterLock(record.tenantId, record.request, record.id);
    await store.delete(record.id);
    return answer;
  }

  /** A duplicate gets the original create's answer: its transaction, or the refusal stored on the key. */
  async function replay(tenantId: string, idempotencyKey: string, first: IdempotencyItem): Promise<CreateResult> {
    const deadline = now() + inFlightWaitMs;
    let item = first;
    // Starts quick (most answers come in well under a second), then backs off so a burst of
    // duplicates does not hammer the table.
    for (let waitMs = 50; ; waitMs = Math.min(500, waitMs * 1.5)) {
      if (item.answer) throw replayedAnswer(item.answer);
      const record = await store.get(item.transactionId);
      if (record && record.lifecycle !== 'SENDING') return { replayed: true, record };
      if (now() >= deadline) throw idempotencyKeyInProgress(item.transactionId);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      item = (await store.readIdempotencyKey(tenantId, idempotencyKey)) ?? item;
    }
  }

  async function create(tenantId: string, idempotencyKey: string, request: TransactionRequest): Promise<CreateResult> {
    const requestHash = hashRequest(request);
    const createdAtMs = now();
    const record: TransactionRecord = {
      id: newId(),
      tenantId,
      idempotencyKey,
      requestHash,
      request,
      lifecycle: 'SENDING',
      createdAt: iso(createdAtMs),
      updatedAt: iso(createdAtMs),
      createdAtMs,
      pollCount: 0,
      consecutiveErrors: 0,
      pollSeq: 0,
    };
    await store.insert(record);
    // The key is claimed once and never released: whatever this create answers is the key's answer.
    const claim = await store.claimIdempotencyKey(tenantId, idempotencyKey, record.id, requestHash, createdAtMs);
    if (!claim.claimed) {
      await store.delete(record.id);
      if (claim.requestHash !== requestHash) throw idempotencyKeyReused(claim.transactionId);
      return replay(tenantId, idempotencyKey, claim);
    }
    const lock = await store.acquireRegisterLock(tenantId, request, record.id, createdAtMs, tokenTtlMs + sendDeadlineMs);
    if (!lock.acquired) throw await refuse(record, registerBusy(lock.transactionId));
    return { replayed: false, record: await send(record) };
  }

  async function send(record: TransactionRecord): Promise<TransactionRecord> {
    let environment: string;
    try {
      environment = await options.resolveEnvironment();
      // Follow-up is arranged before the payment leaves: a transaction the relay cannot follow is never sent.
      await scheduler.schedule({ transactionId: record.id, seq: 0 }, pollIntervalMs);
    } catch (error) {
      throw await refuse(record, error instanceof RelayProblem ? error : problems.configurationUnavailable('The relay could not arrange to follow the transaction.', error));
    }
    const start = await smartConnect.startTransaction(environment, toTransactionForm(record.request));
    switch (start.kind) {
      case 'started': {
        const updated = await store.transition(record.id, ['SENDING'], {
          lifecycle: 'PENDING',
          pollingUrl: start.pollingUrl,
          smartConnectTransactionId: start.smartConnectTransactionId,
          updatedAt: iso(now()),
        });
        log('transaction started', { transactionId: record.id, smartConnectTransactionId: start.smartConnectTransactionId });
        if (updated) recordTransactionStarted(record.request.transactionType);
        return updated ?? (await store.get(record.id)) ?? record;
      }
      case 'refused':
        throw await refuse(record, problems.smartConnectRejected(start.status, start.message, start.retryAfterMs === undefined ? {} : { 'Retry-After': String(Math.ceil(start.retryAfterMs / 1000)) }));
      case 'not-sent':
        throw await refuse(record, problems.smartConnectUnavailable(`The relay could not connect to SmartConnect (${start.reason}); nothing was sent.`));
      case 'ambiguous': {
        const unknown = await poller.markUnknown(record, ['SENDING'], 'send-ambiguous', `SmartConnect may have received the transaction but gave no clear answer (${start.reason}). The relay will not send it again.`);
        throw outcomeUnknown(unknown ?? (await store.get(record.id)) ?? record);
      }
    }
  }

  return { create, pollOnce: poller.pollOnce, deliverPoll: poller.deliver, resumeActivePolls: poller.resumeActivePolls };
}

export type TransactionService = ReturnType<typeof createTransactionService>;

/** Same key, same request: the hash ignores key order and formatting, not values. */
export function hashRequest(request: TransactionRequest): string {
  return createHash('sha256').update(canonicalJson(request)).digest('base64url');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const idempotencyKeyReused = (transactionId: string) =>
  new RelayProblem({
    status: 422,
    code: 'idempotency-key-reused',
    title: 'This Idempotency-Key was used for a different request',
    detail: `The Idempotency-Key already belongs to transaction ${transactionId} with a different body. Nothing was sent. Use a new key for a new transaction, or resend the original body to get the original transaction.`,
    extensions: { transactionId },
  });

/** The same problem with more fields in its body. */
function withExtensions(problem: RelayProblem, extensions: Record<string, unknown>): RelayProblem {
  return new RelayProblem({ ...problem, extensions: { ...problem.extensions, ...extensions }, headers: { ...problem.headers }, cause: problem.cause });
}

/** The stored answer again, same status and body, marked as a replay. */
function replayedAnswer(answer: StoredAnswer): RelayProblem {
  const { type: _type, title, status: _status, detail, code, ...extensions } = answer.body as Record<string, unknown>;
  return new RelayProblem({
    status: answer.status,
    code: String(code),
    title: String(title),
    detail: String(detail),
    extensions,
    headers: { ...answer.headers, 'Idempotent-Replayed': 'true' },
  });
}

const idempotencyKeyInProgress = (transactionId: string) =>
  new RelayProblem({
    status: 409,
    code: 'idempotency-key-in-progress',
    title: 'A request with this Idempotency-Key is still being sent',
    detail: `Transaction ${transactionId} was started with this Idempotency-Key and SmartConnect has not answered it yet. Nothing new was sent. Retry with the same key after Retry-After seconds to get its answer.`,
    extensions: { transactionId },
    headers: { 'Retry-After': '2' },
  });

const registerBusy = (transactionId: string) =>
  new RelayProblem({
    status: 409,
    code: 'register-busy',
    title: 'This register already has a transaction in progress',
    detail: `Transaction ${transactionId} is still in progress on this register's terminal. Nothing was sent. Wait for it to finish (GET /transactions/${transactionId}), then try again.`,
    extensions: { pendingTransactionId: transactionId },
    headers: { 'Retry-After': '3' },
  });

function outcomeUnknown(record: TransactionRecord): RelayProblem {
  const transaction = toResource(record);
  return new RelayProblem({
    status: 502,
    code: 'outcome-unknown',
    title: 'SmartConnect may have received the transaction, but its outcome is unknown',
    detail: `${record.unknownReason ?? ''} ${transaction.message}`.trim(),
    extensions: { transactionId: record.id, transaction },
  });
}
