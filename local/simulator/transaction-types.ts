/**
 * The 16 TransactionType values (docs/smartconnect.md §3) and the form fields each one needs.
 * Validation here has no side effects; transactions.ts decides pairing, busy and creation.
 */

export const transactionTypes = [
  'Card.Purchase',
  'Card.Refund',
  'Card.PurchasePlusCash',
  'Card.CashAdvance',
  'Card.Authorise',
  'Card.Finalise',
  'QR.Merchant.Purchase',
  'QR.Consumer.Purchase',
  'QR.Refund',
  'Acquirer.Logon',
  'Acquirer.Settlement.Inquiry',
  'Acquirer.Settlement.Cutover',
  'Journal.ReprintReceipt',
  'Journal.GetTransResult',
  'Terminal.GetStatus',
  'Terminal.ReadCard',
] as const;

export type TransactionType = (typeof transactionTypes)[number];

type AmountField = 'AmountTotal' | 'AmountAuth' | 'AmountFinal';

/** The amount whose cents pick the scripted outcome; types without one always succeed. */
const drivingAmountField: Partial<Record<TransactionType, AmountField>> = {
  'Card.Purchase': 'AmountTotal',
  'Card.Refund': 'AmountTotal',
  'Card.PurchasePlusCash': 'AmountTotal',
  'Card.CashAdvance': 'AmountTotal',
  'Card.Authorise': 'AmountAuth',
  'Card.Finalise': 'AmountFinal',
  'QR.Merchant.Purchase': 'AmountTotal',
  'QR.Consumer.Purchase': 'AmountTotal',
  'QR.Refund': 'AmountTotal',
};

export const isFinancial = (type: TransactionType): boolean => drivingAmountField[type] !== undefined;

export interface ValidTransactionRequest {
  type: TransactionType;
  /** Cents as a decimal string; undefined for non-financial types. */
  amount: string | undefined;
  /** Request fields that the service echoes in `data` (amounts, references). */
  echo: Record<string, string>;
  saleData: string | undefined;
}

export type Validation = { ok: true; request: ValidTransactionRequest } | { ok: false; error: string };

// Positive, no leading zero, and small enough to stay an exact Number.
const centsPattern = /^[1-9]\d{0,11}$/;

const isTransactionType = (value: string): value is TransactionType => (transactionTypes as readonly string[]).includes(value);

export function validateTransactionRequest(form: Record<string, string>): Validation {
  const fail = (error: string): Validation => ({ ok: false, error });
  const mode = form.TransactionMode;
  if (!mode) {
    return fail('TransactionMode is missing: the legacy synchronous mode is not simulated, send TransactionMode=ASYNC');
  }
  if (mode !== 'ASYNC') return fail(`TransactionMode must be ASYNC, got "${mode}"`);

  const type = form.TransactionType;
  if (!type) return fail('TransactionType is required');
  if (!isTransactionType(type)) return fail(`TransactionType "${type}" is not supported`);

  const echo: Record<string, string> = {};
  const cents = (field: string): string | Validation => {
    const value = form[field];
    if (value === undefined || value === '') return fail(`${field} is required for ${type}`);
    if (!centsPattern.test(value)) return fail(`${field} must be a positive whole number of cents, e.g. 1250; got "${value}"`);
    echo[field] = value;
    return value;
  };

  const field = drivingAmountField[type];
  let amount: string | undefined;
  if (field !== undefined) {
    const value = cents(field);
    if (typeof value !== 'string') return value;
    amount = value;
  }
  if (type === 'Card.PurchasePlusCash') {
    const cash = cents('AmountCash');
    if (typeof cash !== 'string') return cash;
    if (Number(cash) > Number(amount)) return fail('AmountCash must not exceed AmountTotal (AmountTotal includes the cash)');
  }
  if (type === 'Card.Finalise' || type === 'Card.Authorise') {
    const reference = form.TransactionReference;
    if (reference) echo.TransactionReference = reference;
    else if (type === 'Card.Finalise') return fail('TransactionReference is required for Card.Finalise');
  }
  // The Date format is undocumented, so any non-empty value is accepted and echoed.
  if (type === 'Acquirer.Settlement.Inquiry' && form.Date) echo.Date = form.Date;

  const saleData = form.SaleData;
  if (saleData !== undefined && !isJsonObject(saleData)) return fail('SaleData must be a serialized JSON object');

  return { ok: true, request: { type, amount, echo, saleData } };
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
