/**
 * POST /Transaction and its polling URL (docs/smartconnect.md §2.2, §2.3, §4.4). A transaction's
 * state is a pure function of the clock: PENDING until the terminal answers (deviceResponseMs
 * after the POST), then COMPLETED; nothing runs on timers, so a fake clock drives everything.
 */
import { randomUUID } from 'node:crypto';
import { delayedPendingFields, outcomeFor, terminalResult } from './outcomes.ts';
import type { ManualVerdict, OutcomeKind } from './outcomes.ts';
import type { PairingRegistry, RegisterTriple } from './pairing.ts';
import { serverStamp } from './time-format.ts';
import { isFinancial, validateTransactionRequest } from './transaction-types.ts';
import type { ValidTransactionRequest } from './transaction-types.ts';

export interface TransactionTimings {
  minPollIntervalMs: number;
  tokenTtlMs: number;
  deviceResponseMs: number;
  delayedPhaseMs: number;
}

/** An answer for server.ts to send: JSON body, or no body at all when undefined. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export const notPairedMessage = 'This register is not paired to a device, please pair it first.';
export const merchantId = '8dac4049-20b3-473f-b3a3-2682667ece33';
const recordRetentionMs = 180 * 24 * 60 * 60_000;

interface TransactionRecord {
  id: string;
  token: string;
  deviceId: string;
  triple: RegisterTriple;
  request: ValidTransactionRequest;
  kind: OutcomeKind;
  createdAt: number;
  sequence: number;
  /** Last poll that was answered; rejected polls do not move it. */
  lastPollAt?: number;
  /** For Journal.* types: what the terminal reports as its last transaction. */
  previous?: TransactionRecord;
  /** A `manual` transaction's verdict, pressed on the virtual terminal page. */
  decision?: { kind: ManualVerdict; at: number };
}

/** A transaction as stored in the state file: the journal's `previous` link by id. */
export type TransactionSnapshotRecord = Omit<TransactionRecord, 'previous'> & { previousId?: string };

export interface TransactionSnapshot {
  /** In creation order, which is each terminal's history order too. */
  readonly transactions: readonly TransactionSnapshotRecord[];
  readonly results: ReadonlyArray<readonly [string, Fields]>;
}

/** A transaction as the virtual terminal shows it: no token, no polling URL. */
export interface TerminalTransaction {
  id: string;
  deviceId: string;
  posRegisterId: string;
  posBusinessName: string;
  posVendorName: string;
  type: string;
  amount: string | undefined;
  createdAt: string;
  status: 'PENDING' | 'COMPLETED';
  /** PENDING and waiting for someone to press a button on the page. */
  waitingForPerson: boolean;
  /** SmartConnect's TransactionResult once COMPLETED. */
  transactionResult?: string;
}

export type DecideResult = { ok: true } | { ok: false; status: number; error: string };

type Phase = { status: 'PENDING'; delayed: boolean } | { status: 'COMPLETED'; completedAt: number };

type Fields = Record<string, string>;

export class TransactionStore {
  readonly #now: () => number;
  readonly #timings: TransactionTimings;
  readonly #pairing: PairingRegistry;
  readonly #origin: () => string;
  readonly #byId = new Map<string, TransactionRecord>();
  readonly #byDevice = new Map<string, TransactionRecord[]>();
  readonly #results = new Map<string, Fields>();

  constructor(now: () => number, timings: TransactionTimings, pairing: PairingRegistry, origin: () => string) {
    this.#now = now;
    this.#timings = timings;
    this.#pairing = pairing;
    this.#origin = origin;
  }

  create(form: Record<string, string>): Reply {
    const triple: RegisterTriple = {
      posRegisterId: form.POSRegisterID ?? '',
      posBusinessName: form.POSBusinessName ?? '',
      posVendorName: form.POSVendorName ?? '',
    };
    const complete = triple.posRegisterId !== '' && triple.posBusinessName !== '' && triple.posVendorName !== '';
    const deviceId = complete ? this.#pairing.deviceFor(triple) : undefined;
    if (deviceId === undefined) return error(400, notPairedMessage);

    const validation = validateTransactionRequest(form);
    if (!validation.ok) return error(400, validation.error);
    const { request } = validation;

    const now = this.#now();
    const kind = outcomeFor(request.amount);
    if (kind === 'busy' || this.#isBusy(deviceId, now)) return error(429, 'device is busy');

    const history = this.#byDevice.get(deviceId) ?? [];
    this.#byDevice.set(deviceId, history);
    const tx: TransactionRecord = {
      id: randomUUID(),
      token: randomUUID(),
      deviceId,
      triple,
      request,
      kind,
      createdAt: now,
      sequence: history.length + 1,
    };
    if (request.type.startsWith('Journal.')) {
      const previous = history.findLast((t) => isFinancial(t.request.type) && this.#phase(t, now).status === 'COMPLETED');
      if (previous) tx.previous = previous;
    }
    history.push(tx);
    this.#byId.set(tx.id, tx);

    // "Maybe received": the terminal got it and will approve, but the caller only sees a 502.
    if (kind === 'lost-response') return { status: 502 };

    const pollingUrl = `${this.#origin()}/pos/transaction/${tx.id}?merchantAccessToken=${tx.token}`;
    return {
      status: 200,
      body: {
        ...this.#envelope(tx, 'PENDING', { ...this.#requestData(tx), PollingUrl: pollingUrl }),
        merchantAccessToken: tx.token,
      },
    };
  }

  poll(id: string, token: string | undefined): Reply {
    const tx = this.#byId.get(id.toLowerCase());
    if (tx === undefined) return { status: 404 };
    if (token !== tx.token) return error(401, 'Unauthorized');
    const now = this.#now();
    if (now - tx.createdAt > this.#timings.tokenTtlMs) return error(401, 'Token expired');
    if (tx.lastPollAt !== undefined && now - tx.lastPollAt < this.#timings.minPollIntervalMs) {
      const retryAfter = Math.max(1, Math.ceil(this.#timings.minPollIntervalMs / 1000));
      return { ...error(429, 'Too many requests'), headers: { 'Retry-After': String(retryAfter) } };
    }
    tx.lastPollAt = now;

    const phase = this.#phase(tx, now);
    const common = { ...this.#requestData(tx), Merchant: '1', Company: 'Smartpay', RequestId: tx.id };
    const data =
      phase.status === 'COMPLETED'
        ? { ...common, ...this.#result(tx, phase.completedAt) }
        : phase.delayed
          ? { ...common, ...delayedPendingFields }
          : common;
    return {
      status: 200,
      body: { ...this.#envelope(tx, phase.status, data), RecordExpiry: new Date(tx.createdAt + recordRetentionMs).toISOString() },
    };
  }

  snapshot(): TransactionSnapshot {
    return {
      transactions: [...this.#byId.values()].map(({ previous, ...tx }) => ({ ...tx, ...(previous ? { previousId: previous.id } : {}) })),
      results: [...this.#results],
    };
  }

  /** Replaces everything with a snapshot taken earlier (a restarted simulator). */
  restore(snapshot: TransactionSnapshot): void {
    this.#byId.clear();
    this.#byDevice.clear();
    this.#results.clear();
    for (const { previousId, ...stored } of snapshot.transactions) {
      const tx: TransactionRecord = { ...stored };
      const previous = previousId === undefined ? undefined : this.#byId.get(previousId);
      if (previous) tx.previous = previous;
      this.#byId.set(tx.id, tx);
      const history = this.#byDevice.get(tx.deviceId) ?? [];
      history.push(tx);
      this.#byDevice.set(tx.deviceId, history);
    }
    for (const [id, fields] of snapshot.results) this.#results.set(id, fields);
  }

  /** Newest first, for the virtual terminal page. */
  list(limit = 50): TerminalTransaction[] {
    const now = this.#now();
    return [...this.#byId.values()].slice(-limit).reverse().map((tx) => {
      const phase = this.#phase(tx, now);
      const result = phase.status === 'COMPLETED' ? this.#result(tx, phase.completedAt).TransactionResult : undefined;
      return {
        id: tx.id,
        deviceId: tx.deviceId,
        ...tx.triple,
        type: tx.request.type,
        amount: tx.request.amount,
        createdAt: new Date(tx.createdAt).toISOString(),
        status: phase.status,
        waitingForPerson: phase.status === 'PENDING' && tx.kind === 'manual' && now - tx.createdAt <= this.#timings.tokenTtlMs,
        ...(result ? { transactionResult: result } : {}),
      };
    });
  }

  /** A person's verdict on a transaction waiting on the virtual terminal page (62 cents). */
  decide(id: string, verdict: ManualVerdict): DecideResult {
    const tx = this.#byId.get(id.toLowerCase());
    if (tx === undefined) return { ok: false, status: 404, error: 'No such transaction' };
    if (tx.kind !== 'manual') return { ok: false, status: 409, error: 'This transaction is not waiting for a person: only amounts ending in 62 cents are' };
    if (tx.decision) return { ok: false, status: 409, error: 'This transaction was already decided' };
    const now = this.#now();
    if (now - tx.createdAt > this.#timings.tokenTtlMs) return { ok: false, status: 409, error: 'Too late: the transaction expired' };
    tx.decision = { kind: verdict, at: now };
    return { ok: true };
  }

  #phase(tx: TransactionRecord, now: number): Phase {
    if (tx.kind === 'manual') return tx.decision ? { status: 'COMPLETED', completedAt: tx.decision.at } : { status: 'PENDING', delayed: false };
    const answeredAt = tx.createdAt + this.#timings.deviceResponseMs;
    if (tx.kind === 'no-answer' || now < answeredAt) return { status: 'PENDING', delayed: false };
    if (tx.kind === 'delayed') {
      const completedAt = answeredAt + this.#timings.delayedPhaseMs;
      return now < completedAt ? { status: 'PENDING', delayed: true } : { status: 'COMPLETED', completedAt };
    }
    return { status: 'COMPLETED', completedAt: answeredAt };
  }

  /** A terminal runs one transaction at a time; one that never answers frees it when its token dies. */
  #isBusy(deviceId: string, now: number): boolean {
    return (this.#byDevice.get(deviceId) ?? []).some(
      (tx) => this.#phase(tx, now).status === 'PENDING' && now - tx.createdAt <= this.#timings.tokenTtlMs,
    );
  }

  /** Cached so that re-polling a COMPLETED transaction returns the same body. */
  #result(tx: TransactionRecord, completedAt: number): Fields {
    const cached = this.#results.get(tx.id);
    if (cached) return cached;
    const previous = tx.previous;
    const previousPhase = previous ? this.#phase(previous, completedAt) : undefined;
    const fields: Fields = {
      ...terminalResult(
        {
          type: tx.request.type,
          amount: tx.request.amount,
          echo: tx.request.echo,
          deviceId: tx.deviceId,
          sequence: tx.sequence,
          completedAt,
          ...(previous && previousPhase?.status === 'COMPLETED'
            ? { previous: { transactionId: previous.id, result: this.#terminalFields(previous, previousPhase.completedAt) } }
            : {}),
        },
        tx.decision?.kind ?? tx.kind,
      ),
      RequestTimestamp: serverStamp(tx.createdAt),
      ResponseTimestamp: serverStamp(completedAt),
    };
    // Journal.GetTransResult does not echo SaleData (§3.4).
    if (tx.request.saleData !== undefined && tx.request.type !== 'Journal.GetTransResult') fields.SaleData = tx.request.saleData;
    this.#results.set(tx.id, fields);
    return fields;
  }

  /** What the journal reports about an earlier transaction: the terminal's fields, no echo. */
  #terminalFields(tx: TransactionRecord, completedAt: number): Fields {
    const { SaleData: _saleData, RequestTimestamp: _req, ResponseTimestamp: _res, ...fields } = this.#result(tx, completedAt);
    return { ...fields, ...pick(tx.request.echo, ['AmountCash', 'AmountAuth', 'AmountFinal', 'TransactionReference']) };
  }

  #requestData(tx: TransactionRecord): Fields {
    return {
      PosVendor: tx.triple.posVendorName,
      PosRegisterID: tx.triple.posRegisterId,
      PosBusinessName: tx.triple.posBusinessName,
      ...tx.request.echo,
      DeviceID: tx.deviceId,
      Function: tx.request.type,
    };
  }

  #envelope(tx: TransactionRecord, status: 'PENDING' | 'COMPLETED', data: Fields): Record<string, unknown> {
    return {
      transactionId: tx.id,
      transactionTimeStamp: serverStamp(tx.createdAt),
      merchantId,
      deviceId: tx.deviceId,
      transactionStatus: status,
      data,
    };
  }
}

const error = (status: number, message: string): Reply => ({ status, body: { error: message } });

function pick(source: Readonly<Fields>, keys: readonly string[]): Fields {
  const out: Fields = {};
  for (const key of keys) {
    const value = source[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
