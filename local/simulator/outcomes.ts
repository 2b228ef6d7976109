/**
 * What the simulated terminal answers. Financial outcomes are scripted by the cents of the
 * driving amount (table in README.md); this module builds the terminal's part of a COMPLETED
 * `data` object. transactions.ts adds the echo fields and decides when the result exists.
 */
import { receiptTime, terminalStamp } from './time-format.ts';
import { renderReceipt } from './receipt.ts';
import type { ReceiptInput } from './receipt.ts';
import type { TransactionType } from './transaction-types.ts';

export type OutcomeKind =
  | 'approved'
  | 'declined'
  | 'cancelled'
  | 'offline'
  | 'unavailable'
  | 'failed'
  | 'delayed'
  | 'no-answer'
  | 'tip-and-surcharge'
  | 'contradictory'
  | 'lost-response'
  | 'busy'
  /** Waits for a person on the virtual terminal page (device-api.ts) to decide. */
  | 'manual';

/** What a person can press on the virtual terminal for a `manual` transaction. */
export type ManualVerdict = 'approved' | 'declined' | 'cancelled' | 'offline';
export const manualVerdicts: readonly ManualVerdict[] = ['approved', 'declined', 'cancelled', 'offline'];

export const outcomeByCents: Readonly<Record<string, OutcomeKind>> = {
  '51': 'declined',
  '52': 'cancelled',
  '53': 'offline',
  '54': 'unavailable',
  '55': 'failed',
  '56': 'delayed',
  '57': 'no-answer',
  '58': 'tip-and-surcharge',
  '59': 'contradictory',
  '60': 'lost-response',
  '61': 'busy',
  '62': 'manual',
};

export const scriptedTip = 100;
export const scriptedSurcharge = 15;

export function outcomeFor(amount: string | undefined): OutcomeKind {
  if (amount === undefined) return 'approved';
  return outcomeByCents[amount.slice(-2).padStart(2, '0')] ?? 'approved';
}

export const delayedPendingFields = {
  TransactionResult: 'OK-DELAYED',
  Result: 'DELAYED-TRANSACTION',
  ResultText: 'Transaction takes longer than usual',
} as const;

interface Verdict {
  transactionResult: string;
  result: string;
  resultText: string;
  /** The card was read: card details and a transaction number exist. */
  cardRead: boolean;
  /** Money moved: AuthId, tip and surcharge exist. */
  approved: boolean;
  /** Receipt banner; no receipt when undefined. */
  banner?: string;
  /** The terminal saw the request (offline never did). */
  reached: boolean;
}

const accepted: Verdict = {
  transactionResult: 'OK-ACCEPTED',
  result: 'OK',
  resultText: 'Transaction accepted',
  cardRead: true,
  approved: true,
  banner: 'ACCEPTED',
  reached: true,
};

const verdicts: Record<Exclude<OutcomeKind, 'no-answer' | 'busy' | 'manual'>, Verdict> = {
  approved: accepted,
  delayed: accepted,
  'lost-response': accepted,
  'tip-and-surcharge': accepted,
  // Live declines carry no reason field: only the receipt text says why.
  declined: { transactionResult: 'OK-DECLINED', result: 'OK', resultText: 'Transaction declined', cardRead: true, approved: false, banner: 'DECLINED', reached: true },
  cancelled: { transactionResult: 'CANCELLED', result: 'CANCELLED', resultText: 'Transaction cancelled on the terminal', cardRead: false, approved: false, banner: 'CANCELLED', reached: true },
  offline: { transactionResult: 'CANCELLED', result: 'FAILED-INTERFACE', resultText: 'Terminal is offline', cardRead: false, approved: false, reached: false },
  unavailable: { transactionResult: 'OK-UNAVAILABLE', result: 'FAILED', resultText: 'Service unavailable at this time', cardRead: false, approved: false, reached: true },
  failed: { transactionResult: 'FAILED', result: 'FAILED', resultText: 'Transaction failed', cardRead: false, approved: false, reached: true },
  contradictory: { ...accepted, result: 'FAILED' },
};

const receiptLabel: Partial<Record<TransactionType, string>> = {
  'Card.Purchase': 'PURCHASE',
  'Card.Refund': 'REFUND',
  'Card.PurchasePlusCash': 'PURCHASE',
  'Card.CashAdvance': 'CASH ADVANCE',
  'Card.Authorise': 'PRE-AUTH',
  'Card.Finalise': 'COMPLETION',
  'QR.Merchant.Purchase': 'QR PURCHASE',
  'QR.Consumer.Purchase': 'QR PURCHASE',
  'QR.Refund': 'QR REFUND',
};

export interface TerminalContext {
  type: TransactionType;
  /** The driving amount in cents, for financial types. */
  amount: string | undefined;
  echo: Readonly<Record<string, string>>;
  deviceId: string;
  /** The terminal's own transaction counter (the receipt's TRAN number). */
  sequence: number;
  completedAt: number;
  /** For Journal.* types: the last completed financial transaction on this device. */
  previous?: { transactionId: string; result: Readonly<Record<string, string>> };
}

type Fields = Record<string, string>;

/** The terminal-produced fields of a COMPLETED result (all strings, per §4.2). */
export function terminalResult(ctx: TerminalContext, kind: OutcomeKind): Fields {
  const terminalRef = ctx.deviceId.slice(-8);
  const tran = String(ctx.sequence).padStart(6, '0');
  const time = receiptTime(ctx.completedAt);
  const base: Fields = { Timestamp: terminalStamp(ctx.completedAt) };
  const admin = (title: string, notes: string[] = []): Fields => ({
    ...base,
    TransactionResult: 'OK-ACCEPTED',
    Result: 'OK',
    AcquirerRef: tran,
    TerminalRef: terminalRef,
    Receipt: renderReceipt({ title, terminalRef, time, tran: { number: tran }, notes, banner: 'ACCEPTED' }),
  });

  switch (ctx.type) {
    case 'Terminal.GetStatus':
      return { ...base, Result: 'OK', Status: 'READY', TerminalRef: terminalRef };
    case 'Terminal.ReadCard':
      return { ...base, TransactionResult: 'OK-ACCEPTED', Result: 'OK', TerminalRef: terminalRef, ...cardDetails('Card.Purchase') };
    case 'Acquirer.Logon':
      return admin('LOGON', ['LOGON SUCCESSFUL']);
    case 'Acquirer.Settlement.Inquiry':
      return admin('SETTLEMENT', ['SETTLEMENT INQUIRY', ...(ctx.echo.Date ? [`DATE ${ctx.echo.Date}`] : [])]);
    case 'Acquirer.Settlement.Cutover':
      return admin('SETTLEMENT', ['SETTLEMENT CUTOVER']);
    case 'Journal.ReprintReceipt': {
      const last = ctx.previous?.result.Receipt;
      return {
        ...base,
        TransactionResult: 'OK-ACCEPTED',
        Result: 'OK',
        TerminalRef: terminalRef,
        Receipt: last ? markDuplicate(last) : renderReceipt({ title: 'REPRINT', terminalRef, time, notes: ['NO RECEIPT TO REPRINT'], banner: 'ACCEPTED' }),
      };
    }
    case 'Journal.GetTransResult':
      // Device-scoped: reports whatever ran last on the terminal, whichever register sent it.
      if (ctx.previous) return { ...ctx.previous.result, ReferenceId: ctx.previous.transactionId };
      return { ...base, TransactionResult: 'OK-ACCEPTED', Result: 'OK', TerminalRef: terminalRef };
    default:
      return financialResult(ctx, kind, { terminalRef, tran, time, base });
  }
}

function financialResult(ctx: TerminalContext, kind: OutcomeKind, at: { terminalRef: string; tran: string; time: string; base: Fields }): Fields {
  const verdict = kind === 'no-answer' || kind === 'busy' || kind === 'manual' ? accepted : verdicts[kind];
  const requested = Number(ctx.amount ?? 0);
  const tip = verdict.approved && kind === 'tip-and-surcharge' ? scriptedTip : 0;
  const surcharge = verdict.approved && kind === 'tip-and-surcharge' ? scriptedSurcharge : 0;
  const total = requested + tip + surcharge;
  const fields: Fields = {
    ...at.base,
    TransactionResult: verdict.transactionResult,
    Result: verdict.result,
    ResultText: verdict.resultText,
    AmountTotal: String(total),
  };
  if (!verdict.reached) return fields;
  fields.TerminalRef = at.terminalRef;
  const card = verdict.cardRead ? cardDetails(ctx.type) : {};
  if (verdict.cardRead) Object.assign(fields, { AcquirerRef: at.tran }, card);
  if (verdict.approved) {
    fields.AuthId = `SIM${at.tran.slice(-3)}`;
    fields.AmountTip = String(tip);
    fields.AmountSurcharge = String(surcharge);
  }
  if (verdict.banner === undefined) return fields;

  const label = receiptLabel[ctx.type] ?? 'AMOUNT';
  const cash = Number(ctx.echo.AmountCash ?? 0);
  const amounts: Array<readonly [string, number]> =
    ctx.type === 'Card.PurchasePlusCash' ? [[label, requested - cash], ['CASH', cash]] : [[label, requested]];
  if (surcharge) amounts.push(['SURCHARGE', surcharge]);
  if (tip) amounts.push(['TIP', tip]);
  const receipt: ReceiptInput = {
    title: ctx.type.startsWith('QR.') ? 'QR PAYMENT' : 'EFTPOS',
    terminalRef: at.terminalRef,
    time: at.time,
    amounts,
    total,
    banner: verdict.banner,
  };
  if (verdict.cardRead) {
    receipt.tran = { number: at.tran, ...(card.AccountType ? { account: card.AccountType } : {}) };
    if (card.CardType) receipt.cardType = card.CardType;
    if (card.CardPan) receipt.cardPan = card.CardPan;
  }
  if (fields.AuthId) receipt.authId = fields.AuthId;
  if (kind === 'declined') receipt.notes = ['UNABLE TO PROCESS'];
  fields.Receipt = renderReceipt(receipt);
  return fields;
}

function cardDetails(type: TransactionType): Fields {
  // A QR wallet has no PAN.
  if (type.startsWith('QR.')) return { CardType: 'WECHAT PAY', AccountType: 'QR' };
  return { CardPan: '....1234', CardType: 'VISA', AccountType: 'CREDIT' };
}

function markDuplicate(receipt: string): string {
  const closing = /\*-{28}\*\n+$/;
  const banner = '******DUPLICATE  RECEIPT******\n';
  if (receipt.includes(banner)) return receipt;
  return closing.test(receipt) ? receipt.replace(closing, (tail) => banner + tail) : receipt + banner;
}
