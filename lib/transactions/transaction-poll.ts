/**
 * Following a transaction to its outcome: one poll step, and the rule that keeps exactly one poll
 * chain per transaction however often the queue delivers a message (SQS delivers at least once).
 *
 * Each poll message carries `{transactionId, seq}`. The transaction record holds `pollSeq`, the one
 * message number allowed to poll next, and a lease for the worker that took it. A worker polls only
 * after a conditional write takes that seq; it schedules seq + 1 and then hands the chain on. A
 * redelivered or duplicated message finds the seq taken or passed and is dropped. A worker that
 * dies mid-poll leaves its lease to run out, and the queue's redelivery takes the seq again.
 *
 * Every chain ends: past SmartConnect's token lifetime (about 15 minutes from the POST,
 * docs/smartconnect.md §2.3) plus the send deadline, the transaction ends UNKNOWN with its reason,
 * and every delay is capped so no poll is scheduled beyond that moment.
 */
import { recordPollAttempt, recordTransactionFinal } from '#runtime/telemetry.ts';
import { interpretPoll, type TransactionResult } from './transaction-outcome.ts';
import type { PollMessage, PollScheduler } from './poll-scheduler.ts';
import type { SmartConnectClient } from '#smartconnect/smartconnect-client.ts';
import type { Lifecycle, TransactionRecord, TransactionStore } from './transaction-store.ts';

export type PollStepResult = { readonly done: true } | { readonly done: false; readonly delayMs: number };

/** Why a transaction ended UNKNOWN, as a stable code for logs and metrics (no ids beyond the relay's own). */
export type UnresolvedReason = 'send-interrupted' | 'send-ambiguous' | 'token-expired' | 'deadline-passed' | 'polling-url-invalid';

export interface UnresolvedEvent {
  readonly transactionId: string;
  readonly reason: UnresolvedReason;
  readonly ageMs: number;
  readonly pollCount: number;
}

export interface TransactionPollOptions {
  readonly store: TransactionStore;
  readonly smartConnect: SmartConnectClient;
  readonly scheduler: PollScheduler;
  readonly pollIntervalMs: number;
  /** SmartConnect's polling token lifetime, counted from the POST. */
  readonly tokenTtlMs: number;
  /** Longest a create can be between "recorded" and "SmartConnect answered". */
  readonly sendDeadlineMs: number;
  /** How long a worker holds a poll it took; must stay below the queue's visibility timeout. Default: sendDeadlineMs. */
  readonly leaseMs?: number;
  /** How many 404s in a row end a transaction (one can be a blip at SmartConnect's edge). */
  readonly notFoundLimit?: number;
  readonly now?: () => number;
  readonly log?: (message: string, attributes: Record<string, unknown>) => void;
  /** A transaction the relay could not resolve: log it at ERROR and count it. */
  readonly onUnresolved?: (event: UnresolvedEvent) => void;
  /** Told of each stored state a POS is notified of (final, UNKNOWN, first DELAYED); must not throw. */
  readonly onEvent?: (record: TransactionRecord) => Promise<void>;
}

const maxBackoffMs = 30_000;
/** SmartConnect's Retry-After on a poll is honoured up to this; a larger one would outlive the token anyway. */
const maxRetryAfterMs = 60_000;
const active: readonly Lifecycle[] = ['PENDING', 'DELAYED'];

export const tokenExpiredReason = "SmartConnect's polling token expired before the terminal reported an outcome.";

export function createTransactionPoller(options: TransactionPollOptions) {
  const { store, smartConnect, scheduler, pollIntervalMs, tokenTtlMs, sendDeadlineMs } = options;
  const leaseMs = options.leaseMs ?? sendDeadlineMs;
  const notFoundLimit = options.notFoundLimit ?? 3;
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  const onEvent = options.onEvent ?? (async () => undefined);
  const iso = (ms: number) => new Date(ms).toISOString();
  /** The last moment a transaction may still be pending. */
  const deadlineOf = (record: TransactionRecord) => record.createdAtMs + tokenTtlMs + sendDeadlineMs;

  async function finish(record: TransactionRecord, from: readonly Lifecycle[], changes: Partial<TransactionRecord>): Promise<TransactionRecord | undefined> {
    const at = now();
    const updated = await store.transition(record.id, from, { ...changes, updatedAt: iso(at), completedAt: iso(at) });
    // Released only once final: until then SmartConnect would only answer "device is busy".
    if (updated) await store.releaseRegisterLock(record.tenantId, record.request, record.id);
    if (updated) recordTransactionFinal(record.request.transactionType, changes.outcome, changes.unknownReason);
    log('transaction final', { transactionId: record.id, status: changes.lifecycle, outcome: changes.outcome });
    if (updated) await onEvent(updated); // webhooks: a final outcome or UNKNOWN, once stored
    return updated;
  }

  async function markUnknown(record: TransactionRecord, from: readonly Lifecycle[], reason: UnresolvedReason, unknownReason: string) {
    const updated = await finish(record, from, { lifecycle: 'UNKNOWN', outcome: 'UNKNOWN', unknownReason });
    if (updated) options.onUnresolved?.({ transactionId: record.id, reason, ageMs: now() - record.createdAtMs, pollCount: record.pollCount });
    return updated;
  }

  /** Never schedule past the deadline: the step that runs then ends the transaction. */
  const capped = (record: TransactionRecord, delayMs: number): PollStepResult => ({
    done: false,
    delayMs: Math.max(0, Math.min(delayMs, deadlineOf(record) - now())),
  });

  /** One poll of one transaction; says whether and when to poll again. */
  async function pollOnce(id: string): Promise<PollStepResult> {
    const record = await store.get(id);
    if (!record || record.lifecycle === 'COMPLETED' || record.lifecycle === 'UNKNOWN') return { done: true };
    const age = now() - record.createdAtMs;
    if (record.lifecycle === 'SENDING') {
      if (age < sendDeadlineMs) return { done: false, delayMs: Math.min(pollIntervalMs, sendDeadlineMs - age) };
      await markUnknown(record, ['SENDING'], 'send-interrupted', 'The relay stopped while sending the transaction to SmartConnect, so it may have reached the terminal.');
      return { done: true };
    }
    // SmartConnect answers 401 once its token expires; this is the backstop if it never does.
    if (now() >= deadlineOf(record) || !record.pollingUrl) {
      await markUnknown(record, active, 'deadline-passed', tokenExpiredReason);
      return { done: true };
    }
    const answer = await smartConnect.poll(record.pollingUrl);
    recordPollAttempt();
    const pollCount = record.pollCount + 1;
    switch (answer.kind) {
      case 'status': {
        const seen = interpretPoll(answer.body);
        if (seen.status === 'COMPLETED') {
          await finish(record, active, { lifecycle: 'COMPLETED', outcome: seen.outcome, result: seen.result as TransactionResult, pollCount, consecutiveErrors: 0, notFoundCount: 0 });
          return { done: true };
        }
        if (seen.status !== record.lifecycle || record.consecutiveErrors > 0 || record.notFoundCount) {
          const updated = await store.transition(id, active, { lifecycle: seen.status, consecutiveErrors: 0, notFoundCount: 0, pollCount, updatedAt: iso(now()) });
          if (updated && seen.status === 'DELAYED' && record.lifecycle !== 'DELAYED') await onEvent(updated); // webhooks: first DELAYED
        }
        return capped(record, pollIntervalMs);
      }
      case 'rate-limited':
      case 'transient': {
        const errors = record.consecutiveErrors + 1;
        await store.transition(id, active, { consecutiveErrors: errors, pollCount });
        const backoff = Math.min(maxBackoffMs, pollIntervalMs * 2 ** (errors - 1));
        const retryAfter = answer.kind === 'rate-limited' ? Math.min(maxRetryAfterMs, answer.retryAfterMs ?? 0) : 0;
        const next = capped(record, Math.max(backoff, retryAfter));
        log('poll backing off', { transactionId: id, kind: answer.kind, delayMs: next.done ? 0 : next.delayMs });
        return next;
      }
      case 'expired':
        await markUnknown(record, active, 'token-expired', tokenExpiredReason);
        return { done: true };
      case 'invalid': {
        const notFound = (record.notFoundCount ?? 0) + 1;
        if (answer.status === 404 && notFound < notFoundLimit) {
          await store.transition(id, active, { notFoundCount: notFound, pollCount });
          log('poll answered 404; trying again', { transactionId: id, notFoundCount: notFound });
          return capped(record, pollIntervalMs);
        }
        await markUnknown(record, active, 'polling-url-invalid', `SmartConnect no longer accepts this transaction's polling URL (HTTP ${answer.status}).`);
        return { done: true };
      }
    }
  }

  /**
   * Runs one poll message. Returns false when the message was a duplicate (its seq taken or
   * passed) and dropped. Throws when the poll failed: the caller redelivers the same message.
   */
  async function deliver(message: PollMessage): Promise<boolean> {
    const { transactionId: id } = message;
    const seq = message.seq ?? 0;
    if (!(await store.claimPoll(id, seq, now(), leaseMs))) {
      log('duplicate poll message dropped', { transactionId: id, seq });
      return false;
    }
    try {
      const next = await pollOnce(id);
      // The successor is scheduled before the chain is handed on: a crash in between leaves the
      // seq with this message, whose redelivery polls again rather than losing the chain.
      if (!next.done) await scheduler.schedule({ transactionId: id, seq: seq + 1 }, next.delayMs);
      await store.advancePoll(id, seq);
      return true;
    } catch (error) {
      await store.releasePoll(id, seq).catch(() => undefined);
      throw error;
    }
  }

  /** Re-enqueues every transaction not yet final (after a local restart), each at its current seq. */
  async function resumeActivePolls(): Promise<number> {
    const pending = await store.listActive();
    for (const record of pending) {
      // A lease left by the stopped process must run out first, or the message would be dropped.
      const leaseLeft = Math.max(0, (record.pollLeaseUntilMs ?? 0) - now());
      await scheduler.schedule({ transactionId: record.id, seq: record.pollSeq ?? 0 }, leaseLeft > 0 ? leaseLeft + 1_000 : 0);
    }
    if (pending.length) log('resumed polling', { transactions: pending.length });
    return pending.length;
  }

  return { pollOnce, deliver, resumeActivePolls, finish, markUnknown };
}

export type TransactionPoller = ReturnType<typeof createTransactionPoller>;
