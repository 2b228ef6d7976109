/**
 * The shapes the relay answers with, as zod schemas so the OpenAPI document gets them through the
 * same `z.toJSONSchema` as the request schemas. The `satisfies`/`Exact` checks below make
 * `npm run typecheck` fail when a response type in functions/ changes and these do not.
 */
import * as z from 'zod/mini';
import type { Outcome, TransactionResult, TransactionStatus } from '#transactions/transaction-outcome.ts';
import type { TransactionResource } from '#transactions/transaction-resource.ts';
import { transactionRequest } from '#transactions/transaction-request.ts';
import type { publicEndpoint } from '#webhooks/endpoint-store.ts';
import { webhookEventTypes, type WebhookEvent } from '#webhooks/events.ts';

const text = (description: string) => z.string().check(z.describe(description));
const cents = (description: string) => z.int().check(z.describe(description));

export const transactionStatus = z.enum(['PENDING', 'DELAYED', 'COMPLETED', 'UNKNOWN'] satisfies TransactionStatus[]).check(
  z.describe('PENDING and DELAYED: keep following. COMPLETED and UNKNOWN are final; UNKNOWN means check the terminal.'),
);
export const outcome = z.enum(['APPROVED', 'DECLINED', 'CANCELLED', 'DEVICE_OFFLINE', 'UNAVAILABLE', 'FAILED', 'UNKNOWN'] satisfies Outcome[]);

export const transactionResult = z.object({
  amountTotal: z.optional(cents('Total charged, tip and surcharge included, in cents.')),
  amountTip: z.optional(cents('Tip, in cents.')),
  amountSurcharge: z.optional(cents('Surcharge, in cents.')),
  amountCash: z.optional(cents('Cash out, in cents.')),
  authId: z.optional(z.string()),
  acquirerRef: z.optional(z.string()),
  terminalRef: z.optional(z.string()),
  cardPan: z.optional(text('Masked: at most the last four digits, e.g. "....1234".')),
  cardType: z.optional(z.string()),
  accountType: z.optional(z.string()),
  receipt: z.optional(text('The receipt text as the terminal printed it.')),
  terminalStatus: z.optional(z.string()),
  referenceId: z.optional(z.string()),
  deviceTimestamp: z.optional(z.string()),
  transactionResult: z.optional(text("SmartConnect's own TransactionResult, verbatim.")),
  result: z.optional(z.string()),
  resultText: z.optional(z.string()),
  smartConnectTransactionId: z.optional(z.string()),
  deviceId: z.optional(z.string()),
});

const dateTime = z.iso.datetime();

export const transactionResource = z.object({
  id: z.uuid().check(z.describe('The relay transaction id.')),
  status: transactionStatus,
  outcome: z.nullable(outcome).check(z.describe('Set once status is COMPLETED or UNKNOWN.')),
  message: text('What to tell the cashier now.'),
  transactionType: z.string(),
  posRegisterId: z.string(),
  posBusinessName: z.string(),
  posVendorName: z.string(),
  request: transactionRequest,
  result: z.nullable(transactionResult),
  unknownReason: z.optional(text('Why the outcome is unknown, for support.')),
  createdAt: dateTime,
  updatedAt: dateTime,
  completedAt: z.nullable(dateTime),
  links: z.object({ self: z.string() }),
});

export const transactionList = z.object({
  items: z.array(transactionResource),
  nextCursor: z.nullable(text('Pass as `cursor` for the next (older) page; null on the last page.')),
  links: z.object({ next: z.nullable(z.string()) }),
});

export const pairingResult = z.object({
  status: z.literal('paired'),
  posRegisterId: z.string(),
  posRegisterName: z.string(),
  posBusinessName: z.string(),
  posVendorName: z.string(),
  message: z.string(),
});

export const health = z.object({ status: z.literal('ok'), stage: z.string() });

/** RFC 9457 problem; `code` is the stable member to branch on. Extensions vary by code. */
export const problem = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.optional(z.int()),
  detail: z.string(),
  code: z.string(),
  errors: z.optional(z.array(z.object({ field: z.string(), message: z.string() }))),
  requestId: z.optional(text('Set on problems API Gateway answers itself.')),
  gatewayMessage: z.optional(z.string()),
  smartConnectStatus: z.optional(z.int()),
  smartConnectError: z.optional(z.string()),
  transactionId: z.optional(z.string()),
  pendingTransactionId: z.optional(z.string()),
  transaction: z.optional(transactionResource),
  posVendorName: z.optional(z.string()),
  allowedPosVendorNames: z.optional(z.array(z.string())),
  header: z.optional(text('duplicate-header: the header sent more than once.')),
  maxDepth: z.optional(z.int().check(z.describe('json-too-deep: how deep the JSON body may nest.'))),
});

// Compile-time: the schema's output and the handler's type must agree both ways.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const resultMatches: Exact<z.output<typeof transactionResult>, TransactionResult> = true;
const resourceFits: z.output<typeof transactionResource> extends Omit<TransactionResource, 'transactionType'> ? true : false = true;
void resultMatches;
void resourceFits;

// Webhooks (lib/webhooks): endpoints as the API shows them, and the events the relay POSTs.
export const webhookEventType = z.enum(webhookEventTypes);

export const webhookEndpoint = z.object({
  id: z.uuid(),
  url: text('Where the relay POSTs events.'),
  events: z.array(webhookEventType).check(z.describe('The event types sent to it.')),
  createdAt: dateTime,
});

export const webhookEndpointList = z.object({ items: z.array(webhookEndpoint) });

export const createdWebhookEndpoint = z.object({
  ...webhookEndpoint.shape,
  secret: text('The signing secret (`whsec_…`). Shown only in this answer: store it now.'),
});

export const rotatedWebhookEndpoint = z.object({
  ...createdWebhookEndpoint.shape,
  previousSecretsValidUntil: z.nullable(dateTime).check(z.describe('Until when the previous secret also signs (a second `v1=` in Relay-Signature).')),
});

export const webhookEvent = z.object({
  id: text('Unique per transaction and event type; the same on every retry and replay. Deduplicate on it.'),
  type: webhookEventType,
  createdAt: dateTime,
  data: z.object({ transaction: transactionResource }),
});

/** The handlers' arrays are readonly; the schema's output is not. */
type ReadonlyArrays<T> = { [K in keyof T]: T[K] extends (infer E)[] ? readonly E[] : T[K] };
const endpointMatches: Exact<ReadonlyArrays<z.output<typeof webhookEndpoint>>, ReturnType<typeof publicEndpoint>> = true;
const eventFits: WebhookEvent extends z.output<typeof webhookEvent> ? true : false = true;
void endpointMatches;
void eventFits;
