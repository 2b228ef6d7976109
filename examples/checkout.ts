/**
 * A POS checkout with the relay client: pair once, sell, wait for the outcome, and handle the
 * one case a POS must never guess at, UNKNOWN. Run it against `npm start`:
 *
 *   RELAY_URL=http://localhost:3000 RELAY_API_KEY=… PAIRING_CODE=… node examples/checkout.ts 12.50
 *
 * (PAIRING_CODE only the first time; RELAY_VENDOR_NAME if your key's vendor is not LocalPOS.)
 * Against a deployed stage it is the smoke test: `npm run smoke` with the stage's URL and a key.
 */
import { fileURLToPath } from 'node:url';
import { RelayClient, RelayProblemError, type Transaction } from '../client/src/index.ts';

export interface Register {
  readonly posRegisterId: string;
  readonly posRegisterName: string;
  readonly posBusinessName: string;
  readonly posVendorName: string;
}

export type CheckoutResult =
  | { readonly kind: 'paid'; readonly transaction: Transaction }
  | { readonly kind: 'not-paid'; readonly transaction: Transaction; readonly reason: string }
  /** The money may or may not have moved: look at the terminal (or its receipt) before doing anything else. */
  | { readonly kind: 'check-terminal'; readonly transactionId: string; readonly reason: string };

/** One sale: returns what the cashier should do next. `say` is the cashier's screen. */
export async function checkout(client: RelayClient, register: Register, amountCents: number, say: (text: string) => void = () => {}): Promise<CheckoutResult> {
  // A transaction names its register by the three values it was paired with (not its display name).
  const { posRegisterId, posBusinessName, posVendorName } = register;
  let created;
  try {
    created = await client.createTransaction({ transactionType: 'Card.Purchase', posRegisterId, posBusinessName, posVendorName, amountTotal: amountCents });
  } catch (error) {
    // The relay stored the sale but cannot tell whether SmartConnect started it: never resend it.
    if (error instanceof RelayProblemError && error.code === 'outcome-unknown' && error.transaction) {
      return { kind: 'check-terminal', transactionId: error.transaction.id, reason: error.transaction.message };
    }
    throw error;
  }
  // Keep created.idempotencyKey with the sale: after a crash, retrying with it returns this same transaction.
  say(created.transaction.message);
  const final = await client.waitForOutcome(created.transaction.id, { onUpdate: (t) => say(t.message) });
  if (final.status === 'UNKNOWN' || final.outcome === 'UNKNOWN') return { kind: 'check-terminal', transactionId: final.id, reason: final.message };
  if (final.status !== 'COMPLETED') return { kind: 'check-terminal', transactionId: final.id, reason: 'Still waiting for the terminal; look at it, then ask the relay again.' };
  return final.outcome === 'APPROVED' ? { kind: 'paid', transaction: final } : { kind: 'not-paid', transaction: final, reason: final.message };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const client = new RelayClient({ baseUrl: process.env.RELAY_URL ?? 'http://localhost:3000', apiKey: process.env.RELAY_API_KEY ?? '' });
  const register: Register = {
    posRegisterId: process.env.POS_REGISTER_ID ?? 'till-1',
    posRegisterName: 'Main Register',
    posBusinessName: 'Toys Shop',
    posVendorName: process.env.RELAY_VENDOR_NAME ?? 'LocalPOS',
  };
  try {
    if (process.env.PAIRING_CODE) console.log((await client.pair(process.env.PAIRING_CODE, register)).message);
    const dollars = Number(process.argv[2] ?? '12.50');
    const result = await checkout(client, register, Math.round(dollars * 100), (text) => console.log(`  terminal: ${text}`));
    console.log(result.kind === 'paid' ? `Paid: ${result.transaction.id}` : result.kind === 'not-paid' ? `Not paid: ${result.reason}` : `CHECK THE TERMINAL (${result.transactionId}): ${result.reason}`);
    process.exit(result.kind === 'check-terminal' ? 2 : 0);
  } catch (error) {
    console.error(error instanceof RelayProblemError ? `Relay refused: ${error.code}: ${String(error.problem.detail)}` : error);
    process.exit(1);
  }
}
