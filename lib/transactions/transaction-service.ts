/**
 * The transaction lifecycle: an idempotent create that sends each payment to SmartConnect at most
 * once, and a poll step that follows it to a durable outcome. SmartConnect has no idempotency key
 * and forgets the outcome's URL after ~15 minutes; these two functions are what make it safe.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { PollScheduler } from './poll-scheduler.ts';
import { problems, RelayProblem } from '#http/problem.ts';
import type { SmartConnectClient } from '#smartconnect/smartconnect-client.ts';
import { interpretPoll, type TransactionResult } from './transaction-outcome.ts';
import { toTransactionForm, type TransactionRequest } from './transaction-request.ts';
import { toResource } from './transaction-resource.ts';
import type { Lifecycle, TransactionRecord, TransactionStore } from './transaction-store.ts';

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
  readonly now?: () => number;
  readonly newId?: () => string;
  readonly log?: (message: string, attributes: Record<string, unknown>) => void;
}

export type CreateResult = { readonly replayed: boolean; readonly record: TransactionRecord };
export type PollStepResult = { readonly done: true } | { readonly done: false; readonly delayMs: number };

const maxBackoffMs = 30_000;
const active: readonly Lifecycle[] = ['PENDING', 'DELAYED'];

export function createTransactionService(options: TransactionServiceOptions) {
  const { store, smartConnect, scheduler, pollIntervalMs, tokenTtlMs, sendDeadlineMs } = options;
  const now = options.now ?? Date.now;
  const newId = options.newId ?? randomUUID;
  const log = options.log ?? (() => undefined);
  const iso = (ms: number) => new Date(ms).toISOString();

  /** Undo a create that SmartConnect never acted on, so the key and the register are free again. */
  async function abandon(record: TransactionRecord): Promise<void> {
    await store.releaseRegisterLock(record.tenantId, record.request, record.id);
    await store.releaseIdempotencyKey(record.tenantId, record.idempotencyKey, record.id);
    await store.delete(record.id);
  }

  async function finish(record: TransactionRecord, from: readonly Lifecycle[], changes: Partial<TransactionRecord>): Promise<TransactionRecord | undefined> {
    const at = now();
    const updated = await store.transition(record.id, from, { ...changes, updatedAt: iso(at), completedAt: iso(at) });
    // Released only once final: until then SmartConnect would only answer "device is busy".
    if (updated) await store.releaseRegisterLock(record.tenantId, record.request, record.id);
    log('transaction final', { transactionId: record.id, status: changes.lifecycle, outcome: changes.outcome });
    return updated;
  }

  const markUnknown = (record: TransactionRecord, from: readonly Lifecycle[], unknownReason: string) =>
    finish(record, from, { lifecycle: 'UNKNOWN', outcome: 'UNKNOWN', unknownReason });

  /** A concurrent duplicate waits for the original create to learn SmartConnect's answer. */
  async function settled(id: string): Promise<TransactionRecord | undefined> {
    const deadline = now() + sendDeadlineMs;
    for (;;) {
      const record = await store.get(id);
      if (!record || record.lifecycle !== 'SENDING' || now() >= deadline) return record;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function create(tenantId: string, idempotencyKey: string, request: TransactionRequest): Promise<CreateResult> {
    const requestHash = hashRequest(request);
    // A key can be freed between our claim and our read (its create was refused): then try again.
    for (let attempt = 0; attempt < 3; attempt += 1) {
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
      };
      await store.insert(record);
      const claim = await store.claimIdempotencyKey(tenantId, idempotencyKey, record.id, requestHash, createdAtMs);
      if (!claim.claimed) {
        await store.delete(record.id);
        if (!claim.transactionId) continue;
        if (claim.requestHash !== requestHash) throw idempotencyKeyReused(claim.transactionId);
        const original = await settled(claim.transactionId);
        if (original) return { replayed: true, record: original };
        continue;
      }
      const lock = await store.acquireRegisterLock(tenantId, request, record.id, createdAtMs, tokenTtlMs + sendDeadlineMs);
      if (!lock.acquired) {
        await abandon(record);
        throw registerBusy(lock.transactionId);
      }
      return { replayed: false, record: await send(record) };
    }
    throw problems.internal(new Error('Idempotency-Key kept changing hands'));
  }

  async function send(record: TransactionRecord): Promise<TransactionRecord> {
    let environment: string;
    try {
      environment = await options.resolveEnvironment();
      // Follow-up is arranged before the payment leaves: a transaction the relay cannot follow is never sent.
      await scheduler.schedule(record.id, pollIntervalMs);
    } catch (error) {
      await abandon(record);
      throw error instanceof RelayProblem ? error : problems.configurationUnavailable('The relay could not arrange to follow the transaction.', error);
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
        return updated ?? (await store.get(record.id)) ?? record;
      }
      case 'refused':
        await abandon(record);
        throw problems.smartConnectRejected(start.status, start.message, start.retryAfterMs === undefined ? {} : { 'Retry-After': String(Math.ceil(start.retryAfterMs / 1000)) });
      case 'not-sent':
        await abandon(record);
        throw problems.smartConnectUnavailable(`The relay could not connect to SmartConnect (${start.reason}); nothing was sent, so it is safe to retry.`);
      case 'ambiguous': {
        const unknown = await markUnknown(record, ['SENDING'], `SmartConnect may have received the transaction but gave no clear answer (${start.reason}). The relay will not send it again.`);
        throw outcomeUnknown(unknown ?? (await store.get(record.id)) ?? record);
      }
    }
  }

  async function pollOnce(id: string): Promise<PollStepResult> {
    const record = await store.get(id);
    if (!record || record.lifecycle === 'COMPLETED' || record.lifecycle === 'UNKNOWN') return { done: true };
    const age = now() - record.createdAtMs;
    if (record.lifecycle === 'SENDING') {
      if (age < sendDeadlineMs) return { done: false, delayMs: pollIntervalMs };
      await markUnknown(record, ['SENDING'], 'The relay stopped while sending the transaction to SmartConnect, so it may have reached the terminal.');
      return { done: true };
    }
    // SmartConnect answers 401 once its token expires; this is the backstop if it never does.
    if (age > tokenTtlMs + sendDeadlineMs || !record.pollingUrl) {
      await markUnknown(record, active, "SmartConnect's polling token expired before the terminal reported an outcome.");
      return { done: true };
    }
    const answer = await smartConnect.poll(record.pollingUrl);
    switch (answer.kind) {
      case 'status': {
        const seen = interpretPoll(answer.body);
        if (seen.status === 'COMPLETED') {
          await finish(record, active, { lifecycle: 'COMPLETED', outcome: seen.outcome, result: seen.result as TransactionResult, pollCount: record.pollCount + 1, consecutiveErrors: 0 });
          return { done: true };
        }
        if (seen.status !== record.lifecycle || record.consecutiveErrors > 0) {
          await store.transition(id, active, { lifecycle: seen.status, consecutiveErrors: 0, pollCount: record.pollCount + 1, updatedAt: iso(now()) });
        }
        return { done: false, delayMs: pollIntervalMs };
      }
      case 'rate-limited':
      case 'transient': {
        const errors = record.consecutiveErrors + 1;
        await store.transition(id, active, { consecutiveErrors: errors, pollCount: record.pollCount + 1 });
        const backoff = Math.min(maxBackoffMs, pollIntervalMs * 2 ** (errors - 1));
        log('poll backing off', { transactionId: id, kind: answer.kind, delayMs: backoff });
        return { done: false, delayMs: answer.kind === 'rate-limited' ? Math.max(backoff, answer.retryAfterMs ?? 0) : backoff };
      }
      case 'expired':
        await markUnknown(record, active, "SmartConnect's polling token expired before the terminal reported an outcome.");
        return { done: true };
      case 'invalid':
        await markUnknown(record, active, `SmartConnect no longer accepts this transaction's polling URL (HTTP ${answer.status}).`);
        return { done: true };
    }
  }

  return { create, pollOnce };
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
