/**
 * What a SmartConnect poll answer means for the POS (docs/smartconnect.md §4.3), as pure functions:
 * the status, the final outcome, and the result fields worth keeping.
 */
export type TransactionStatus = 'PENDING' | 'DELAYED' | 'COMPLETED' | 'UNKNOWN';
export type Outcome = 'APPROVED' | 'DECLINED' | 'CANCELLED' | 'DEVICE_OFFLINE' | 'UNAVAILABLE' | 'FAILED' | 'UNKNOWN';

export interface TransactionResult {
  readonly amountTotal?: number;
  readonly amountTip?: number;
  readonly amountSurcharge?: number;
  readonly amountCash?: number;
  readonly authId?: string;
  readonly acquirerRef?: string;
  readonly terminalRef?: string;
  readonly cardPan?: string;
  readonly cardType?: string;
  readonly accountType?: string;
  readonly receipt?: string;
  readonly terminalStatus?: string;
  readonly referenceId?: string;
  readonly deviceTimestamp?: string;
  /** SmartConnect's own words, kept verbatim for support. */
  readonly transactionResult?: string;
  readonly result?: string;
  readonly resultText?: string;
  readonly smartConnectTransactionId?: string;
  readonly deviceId?: string;
}

export type PollInterpretation =
  | { readonly status: 'PENDING' | 'DELAYED' }
  | { readonly status: 'COMPLETED'; readonly outcome: Outcome; readonly result: TransactionResult };

export function interpretPoll(body: Record<string, unknown>): PollInterpretation {
  const data = (typeof body.data === 'object' && body.data !== null ? body.data : {}) as Record<string, unknown>;
  const transactionResult = text(data.TransactionResult);
  if (body.transactionStatus !== 'COMPLETED') {
    return { status: transactionResult === 'OK-DELAYED' ? 'DELAYED' : 'PENDING' };
  }
  return { status: 'COMPLETED', outcome: outcomeOf(transactionResult, text(data.Result)), result: resultOf(body, data) };
}

/** §4.3, with Yort's refinement: an accept or decline whose function did not run OK is contradictory. */
export function outcomeOf(transactionResult: string | undefined, result: string | undefined): Outcome {
  switch (transactionResult) {
    case 'OK-ACCEPTED':
      return result === 'OK' ? 'APPROVED' : 'UNKNOWN';
    case 'OK-DECLINED':
      return result === 'OK' ? 'DECLINED' : 'UNKNOWN';
    case 'CANCELLED':
      return result === 'FAILED-INTERFACE' ? 'DEVICE_OFFLINE' : 'CANCELLED';
    case 'OK-UNAVAILABLE':
      return 'UNAVAILABLE';
    case undefined:
      // Non-financial functions (Terminal.GetStatus) report only whether they ran.
      return result === 'OK' ? 'APPROVED' : result === undefined ? 'UNKNOWN' : 'FAILED';
    default:
      return 'FAILED';
  }
}

function resultOf(body: Record<string, unknown>, data: Record<string, unknown>): TransactionResult {
  const entries: [keyof TransactionResult, unknown][] = [
    ['amountTotal', amount(data.AmountTotal)],
    ['amountTip', amount(data.AmountTip)],
    ['amountSurcharge', amount(data.AmountSurcharge)],
    ['amountCash', amount(data.AmountCash)],
    ['authId', text(data.AuthId)],
    ['acquirerRef', text(data.AcquirerRef)],
    ['terminalRef', text(data.TerminalRef)],
    ['cardPan', maskPan(text(data.CardPan))],
    ['cardType', text(data.CardType)],
    ['accountType', text(data.AccountType)],
    ['receipt', text(data.Receipt)],
    ['terminalStatus', text(data.Status)],
    ['referenceId', text(data.ReferenceId)],
    ['deviceTimestamp', text(data.Timestamp)],
    ['transactionResult', text(data.TransactionResult)],
    ['result', text(data.Result)],
    ['resultText', text(data.ResultText)],
    ['smartConnectTransactionId', text(body.transactionId)],
    ['deviceId', text(body.deviceId) ?? text(data.DeviceID)],
  ];
  return Object.fromEntries(entries.filter(([, value]) => value !== undefined)) as TransactionResult;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);

function amount(value: unknown): number | undefined {
  const raw = typeof value === 'number' ? String(value) : text(value);
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
}

/** SmartConnect sends `....0138`; whatever arrives, no more than the last four digits are kept. */
export function maskPan(pan: string | undefined): string | undefined {
  if (pan === undefined) return undefined;
  const digits = pan.replace(/\D/g, '');
  return digits.length === 0 ? undefined : `....${digits.slice(-4)}`;
}

/** What a cashier should be told for each state, in words they can act on. */
export function cashierMessage(status: TransactionStatus, outcome: Outcome | undefined): string {
  if (status === 'PENDING') return 'Waiting for the terminal. Follow the prompts on the terminal.';
  if (status === 'DELAYED') return 'The terminal is taking longer than usual (it may have lost its connection). Check the terminal; the relay keeps checking.';
  switch (outcome) {
    case 'APPROVED':
      return 'Approved.';
    case 'DECLINED':
      return 'Declined. Ask the customer for another way to pay.';
    case 'CANCELLED':
      return 'Cancelled on the terminal. No money moved.';
    case 'DEVICE_OFFLINE':
      return 'The terminal could not be reached (offline or switched off). No money moved. Check its power and network, then try again.';
    case 'UNAVAILABLE':
      return 'The payment service is unavailable right now. No money moved. Try again shortly or take another payment method.';
    case 'FAILED':
      return 'The terminal reported a failure. Check the terminal screen before trying again.';
    default:
      return unknownGuidance;
  }
}

export const unknownGuidance =
  'The outcome could not be confirmed. Check the terminal screen or its last receipt: if it shows APPROVED, record the sale as paid by EFTPOS; otherwise start a new transaction with a new Idempotency-Key. Do not simply retry.';
