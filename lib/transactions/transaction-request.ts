/**
 * `POST /transactions` bodies: one strict schema per SmartConnect transaction type (§3), so a
 * request that SmartConnect would refuse, or that could mean something else, never leaves.
 */
import * as z from 'zod/mini';
import { optionalText, requiredText } from '#http/validation.ts';

/** Positive integer cents, as SmartConnect wants them (§3.1: non-zero, positive, no currency). */
const cents = (description: string) =>
  z.number({ error: 'is required and must be a number of cents' }).check(
    z.int({ error: 'must be a whole number of cents' }),
    z.positive({ error: 'must be more than zero' }),
    z.maximum(99_999_999, { error: 'must be at most 99999999 cents' }),
    z.describe(description),
  );

const requiredString = z.string({ error: 'is required and must be a string' });

const register = {
  posRegisterId: requiredText(64, 'The register id used at pairing.'),
  posBusinessName: requiredText(100, 'The business name used at pairing.'),
  posVendorName: requiredText(64, 'The vendor name used at pairing.'),
  // Sale/SKU data (§3.4), passed to SmartConnect as a JSON string.
  saleData: z.optional(
    z.looseObject({
      version: z.string({ error: 'is required (send "1.0.0")' }),
      saleData: z.looseObject({
        totalAmount: requiredString,
        totalTax: requiredString,
        lineItems: z.optional(
          z.array(
            z.looseObject({
              productName: requiredString,
              quantity: requiredString,
              unitPrice: requiredString,
              unitTax: requiredString,
              totalPrice: requiredString,
              totalTax: requiredString,
            }),
          ),
        ),
      }),
    }),
  ),
};

const amountTotal = cents('Amount in cents.');
const transactionReference = requiredText(64, 'Reference of the earlier pre-authorisation.');

const type = <T extends string, S extends z.core.$ZodLooseShape>(transactionType: T, shape: S) =>
  z.strictObject({ transactionType: z.literal(transactionType), ...register, ...shape });

export const transactionRequest = z.discriminatedUnion('transactionType', [
  type('Card.Purchase', { amountTotal }),
  type('Card.Refund', { amountTotal }),
  type('Card.PurchasePlusCash', { amountTotal, amountCash: cents('Cash-out part of amountTotal, in cents.') }).check(
    z.refine((r) => r.amountCash <= r.amountTotal, { error: 'must not be more than amountTotal', path: ['amountCash'] }),
  ),
  type('Card.CashAdvance', { amountTotal }),
  type('Card.Authorise', { amountAuth: cents('Amount to pre-authorise, in cents.'), transactionReference: z.optional(transactionReference) }),
  type('Card.Finalise', { amountFinal: cents('Final amount, in cents.'), transactionReference }),
  type('QR.Merchant.Purchase', { amountTotal }),
  type('QR.Consumer.Purchase', { amountTotal }),
  type('QR.Refund', { amountTotal }),
  type('Acquirer.Logon', {}),
  type('Acquirer.Settlement.Inquiry', { date: optionalText(32, 'Settlement date, passed through as given.') }),
  type('Acquirer.Settlement.Cutover', {}),
  type('Journal.ReprintReceipt', {}),
  type('Journal.GetTransResult', {}),
  type('Terminal.GetStatus', {}),
  type('Terminal.ReadCard', {}),
], { error: 'must be one of the SmartConnect transaction types' });

export type TransactionRequest = z.infer<typeof transactionRequest>;
export type TransactionType = TransactionRequest['transactionType'];

/** The register triple: SmartConnect routes a transaction to a terminal by it (§2.1). */
export type RegisterTriple = Pick<TransactionRequest, 'posRegisterId' | 'posBusinessName' | 'posVendorName'>;

const fieldNames: Record<string, string> = {
  posRegisterId: 'POSRegisterID',
  posBusinessName: 'POSBusinessName',
  posVendorName: 'POSVendorName',
  transactionType: 'TransactionType',
  amountTotal: 'AmountTotal',
  amountCash: 'AmountCash',
  amountAuth: 'AmountAuth',
  amountFinal: 'AmountFinal',
  transactionReference: 'TransactionReference',
  date: 'Date',
};

/**
 * The form SmartConnect receives. Always ASYNC: the legacy synchronous mode would hold the HTTP
 * request for the whole card interaction, far past API Gateway's 29 s.
 */
export function toTransactionForm(request: TransactionRequest): string {
  const form = new URLSearchParams();
  form.append('POSRegisterID', request.posRegisterId);
  form.append('POSBusinessName', request.posBusinessName);
  form.append('POSVendorName', request.posVendorName);
  form.append('TransactionMode', 'ASYNC');
  form.append('TransactionType', request.transactionType);
  for (const [key, value] of Object.entries(request)) {
    const name = fieldNames[key];
    if (name && !form.has(name) && value !== undefined) form.append(name, String(value));
  }
  if (request.saleData) form.append('SaleData', JSON.stringify(request.saleData));
  return form.toString();
}
