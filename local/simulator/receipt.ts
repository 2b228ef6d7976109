/**
 * Fixed-width terminal receipts in the layout of the docs' example (docs/smartconnect.md §4.1):
 * 30 columns, `\n`-separated, meant for a monospaced font.
 */

export const receiptWidth = 30;

export interface ReceiptInput {
  /** Block title inside the `*---…---*` rule, e.g. EFTPOS or SETTLEMENT. */
  title: string;
  terminalRef: string;
  time: string;
  /** Transaction number and account, printed as `TRAN 000013   CREDIT`. */
  tran?: { number: string; account?: string };
  cardType?: string;
  cardPan?: string;
  authId?: string;
  /** Label and amount in cents, one line each. */
  amounts?: ReadonlyArray<readonly [string, number]>;
  total?: number;
  /** Free lines between the details and the banner. */
  notes?: readonly string[];
  banner: string;
  duplicate?: boolean;
}

const center = (text: string): string => {
  const t = text.slice(0, receiptWidth);
  const left = Math.floor((receiptWidth - t.length) / 2);
  return (' '.repeat(left) + t).padEnd(receiptWidth);
};

const spread = (left: string, right: string): string => {
  const room = receiptWidth - right.length - 1;
  const l = left.slice(0, Math.max(0, room));
  return l + ' '.repeat(receiptWidth - l.length - right.length) + right;
};

const rule = (title: string): string => {
  const inner = receiptWidth - 2;
  const t = title.slice(0, inner);
  const left = Math.floor((inner - t.length) / 2);
  return `*${'-'.repeat(left)}${t}${'-'.repeat(inner - left - t.length)}*`;
};

export const money = (cents: number): string => `NZ$ ${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

export function renderReceipt(input: ReceiptInput): string {
  const lines: string[] = [center('SMARTCONNECT SIMULATOR'), center('TEST TERMINAL'), center('NO REAL MONEY'), '', rule(input.title)];
  lines.push(spread('TERMINAL', input.terminalRef), spread('TIME', input.time));
  if (input.tran) lines.push(spread(`TRAN ${input.tran.number}`, input.tran.account ?? ''));
  if (input.cardType) lines.push(input.cardType.slice(0, receiptWidth));
  if (input.cardPan) lines.push(spread('CARD', input.cardPan));
  if (input.authId) lines.push(`AUTH ${input.authId}`);
  for (const [label, cents] of input.amounts ?? []) lines.push(spread(label, money(cents)));
  if (input.total !== undefined) lines.push(spread('TOTAL', money(input.total)));
  for (const note of input.notes ?? []) lines.push(note.slice(0, receiptWidth));
  lines.push('', center(input.banner));
  if (input.duplicate) lines.push('******DUPLICATE  RECEIPT******');
  lines.push(rule(''), '');
  return lines.join('\n') + '\n';
}
