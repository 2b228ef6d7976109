/**
 * Builds the relay's OpenAPI 3.1 document from what the code already states: routes from
 * functions/routes.ts, request bodies from the zod schemas the handlers validate with (through
 * zod's own JSON Schema output), response shapes from response-schemas.ts and the problems from
 * problem-catalogue.ts. Pure: `npm run openapi` writes it to docs/openapi.json.
 */
import * as z from 'zod/mini';
import { idempotencyKeySchema } from '../../functions/create-transaction/request.ts';
import { pairingCodeSchema, pairRegisterBody } from '../../functions/pair-register/request.ts';
import { relayRoutes, type RelayRoute } from '../../functions/routes.ts';
import { corsExposeHeaders } from '#http/cors.ts';
import { maxBodyBytes } from '#http/middy-stack.ts';
import { problemContentType } from '#http/problem.ts';
import { unauthorizedProblem } from '#tenants/tenant-context.ts';
import { transactionRequest } from '#transactions/transaction-request.ts';
import { createEndpointRequest, endpointIdSchema } from '#webhooks/endpoint-api.ts';
import { maxEndpointsPerTenant } from '#webhooks/endpoint-store.ts';
import { webhookEventTypes, type WebhookEventType } from '#webhooks/events.ts';
import { defaultToleranceSeconds, eventIdHeader, signatureHeader } from '#webhooks/signing.ts';
import { gatewayUses, routeProblems, type ProblemUse, type StatusKey } from './problem-catalogue.ts';
import * as responses from './response-schemas.ts';

type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** zod's JSON Schema, as an OpenAPI 3.1 schema object (same dialect, minus the `$schema` tag). */
export function jsonSchema(schema: z.core.$ZodType, io: 'input' | 'output' = 'output'): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  return rest;
}


/** Swaps an inlined copy of a named schema for a reference to it (zod inlines nested schemas). */
function withRef(schema: Json, path: readonly string[], name: string): Json {
  const copy = structuredClone(schema);
  let at = copy;
  for (const step of path.slice(0, -1)) at = at[step] as Json;
  at[path.at(-1)!] = ref(name);
  return copy;
}

const transactionSchema = withRef(jsonSchema(responses.transactionResource), ['properties', 'request'], 'TransactionRequest');
const schemas: Record<string, Json> = {
  PairRegisterRequest: jsonSchema(pairRegisterBody, 'input'),
  TransactionRequest: jsonSchema(transactionRequest, 'input'),
  Transaction: transactionSchema,
  TransactionList: withRef(jsonSchema(responses.transactionList), ['properties', 'items', 'items'], 'Transaction'),
  PairingResult: jsonSchema(responses.pairingResult),
  Health: jsonSchema(responses.health),
  Problem: withRef(jsonSchema(responses.problem), ['properties', 'transaction'], 'Transaction'),
  WebhookEndpointRequest: jsonSchema(createEndpointRequest, 'input'),
  WebhookEndpoint: jsonSchema(responses.webhookEndpoint),
  WebhookEndpointList: withRef(jsonSchema(responses.webhookEndpointList), ['properties', 'items', 'items'], 'WebhookEndpoint'),
  CreatedWebhookEndpoint: jsonSchema(responses.createdWebhookEndpoint),
  RotatedWebhookEndpoint: jsonSchema(responses.rotatedWebhookEndpoint),
  WebhookEvent: withRef(jsonSchema(responses.webhookEvent), ['properties', 'data', 'properties', 'transaction'], 'Transaction'),
};

interface Operation {
  readonly operationId: string;
  readonly summary: string;
  readonly description: string;
  readonly parameters?: Json[];
  readonly requestBody?: string;
  /** Success statuses: description and body schema (none for a 204). */
  readonly success: Readonly<Record<string, { description: string; schema?: string; headers?: Json }>>;
}

const endpointIdParameter = { name: 'endpointId', in: 'path', required: true, description: 'The id POST /webhook-endpoints returned.', schema: jsonSchema(endpointIdSchema, 'input') };

const retryAfter = { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } } };

/** Per route, keyed `METHOD path` (the test checks every route in functions/routes.ts is here). */
const operations: Readonly<Record<string, Operation>> = {
  'GET /health': {
    operationId: 'getHealth',
    summary: 'Health check',
    description: 'Public: no API key. Says the API and its functions are up, and which stage this is.',
    success: { '200': { description: 'Up.', schema: 'Health' } },
  },
  'PUT /pairing/{pairingCode}': {
    operationId: 'pairRegister',
    summary: 'Pair a register with a terminal',
    description:
      'Links the POS register to the terminal showing the pairing code. Codes are single use and expire (about 2 minutes on SmartConnect). Pairing again with the same register replaces its terminal.',
    parameters: [{ name: 'pairingCode', in: 'path', required: true, description: 'The code the terminal shows.', schema: jsonSchema(pairingCodeSchema, 'input') }],
    requestBody: 'PairRegisterRequest',
    success: { '200': { description: 'Paired.', schema: 'PairingResult' } },
  },
  'POST /transactions': {
    operationId: 'createTransaction',
    summary: 'Start a transaction on the register\'s terminal',
    description:
      'Answers at once; follow the transaction with GET /transactions/{transactionId} until its status is COMPLETED or UNKNOWN. Send a new Idempotency-Key per sale attempt and reuse it when retrying: the same key with the same body gives back the same transaction (200 with Idempotent-Replayed), and the terminal is asked once.',
    parameters: [
      {
        name: 'Idempotency-Key',
        in: 'header',
        required: true,
        description: 'Unique per sale attempt (a UUID). Reuse it, with the same body, when retrying after a lost answer.',
        schema: jsonSchema(idempotencyKeySchema, 'input'),
      },
    ],
    requestBody: 'TransactionRequest',
    success: {
      '202': { description: 'Started; the terminal was asked.', schema: 'Transaction', headers: { Location: { description: 'The transaction\'s path.', schema: { type: 'string' } } } },
      '200': {
        description: 'A retry with the same Idempotency-Key and body: the original transaction, as it is now. Nothing was sent again.',
        schema: 'Transaction',
        headers: {
          Location: { description: 'The transaction\'s path.', schema: { type: 'string' } },
          'Idempotent-Replayed': { description: 'Always `true` on a replay.', schema: { type: 'string', const: 'true' } },
        },
      },
    },
  },
  'GET /transactions': {
    operationId: 'listTransactions',
    summary: "List a register's transactions, newest first",
    description: 'For a POS that lost an answer (crash, reload, timeout) and must find what it started.',
    parameters: [
      { name: 'posRegisterId', in: 'query', required: true, schema: { type: 'string', maxLength: 64 } },
      { name: 'limit', in: 'query', required: false, description: '1 to 100, default 20.', schema: { type: 'string', pattern: '^(?:[1-9]\\d?|100)$' } },
      { name: 'cursor', in: 'query', required: false, description: 'nextCursor of the previous page.', schema: { type: 'string', maxLength: 2048 } },
    ],
    success: { '200': { description: 'A page of transactions.', schema: 'TransactionList' } },
  },
  'GET /transactions/{transactionId}': {
    operationId: 'getTransaction',
    summary: 'A transaction, as it is now',
    description: 'Poll every 2 to 3 seconds while status is PENDING or DELAYED.',
    parameters: [{ name: 'transactionId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
    success: { '200': { description: 'The transaction.', schema: 'Transaction' } },
  },
  'POST /webhook-endpoints': {
    operationId: 'createWebhookEndpoint',
    summary: 'Register a URL for transaction events',
    description: `The relay POSTs the chosen events (see \`webhooks\`) to the URL, signed with the secret in this answer, which is never shown again. Deployed stages accept only https URLs whose host resolves to public addresses. At most ${maxEndpointsPerTenant} per account.`,
    requestBody: 'WebhookEndpointRequest',
    success: {
      '201': {
        description: 'Registered. Store `secret` now.',
        schema: 'CreatedWebhookEndpoint',
        headers: { Location: { description: "The endpoint's path.", schema: { type: 'string' } } },
      },
    },
  },
  'GET /webhook-endpoints': {
    operationId: 'listWebhookEndpoints',
    summary: "The account's webhook endpoints",
    description: 'Never shows a secret.',
    success: { '200': { description: 'Every endpoint of the account.', schema: 'WebhookEndpointList' } },
  },
  'DELETE /webhook-endpoints/{endpointId}': {
    operationId: 'deleteWebhookEndpoint',
    summary: 'Remove a webhook endpoint',
    description: 'Deliveries to it stop, retries under way included.',
    parameters: [endpointIdParameter],
    success: { '204': { description: 'Removed.' } },
  },
  'POST /webhook-endpoints/{endpointId}/rotate-secret': {
    operationId: 'rotateWebhookSecret',
    summary: "Replace an endpoint's signing secret",
    description: `The new secret is shown only in this answer. For 24 hours each delivery also carries a signature under the previous secret (a second \`v1=\` in ${signatureHeader}), so receivers can switch over.`,
    parameters: [endpointIdParameter],
    success: { '200': { description: 'Rotated. Store `secret` now.', schema: 'RotatedWebhookEndpoint' } },
  },
};

/** The events the relay POSTs to registered endpoints: OpenAPI 3.1's top-level `webhooks`. */
const eventDescriptions: Record<WebhookEventType, string> = {
  'transaction.completed': 'The transaction reached a final outcome (APPROVED, DECLINED, CANCELLED, …).',
  'transaction.unknown': 'The relay cannot know the outcome (status UNKNOWN): check the terminal.',
  'transaction.delayed': 'The terminal reported OK-DELAYED for the first time: keep waiting.',
};

function webhookOperation(type: WebhookEventType): Json {
  return {
    post: {
      operationId: `on${type.split('.').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')}`,
      summary: type,
      description: `${eventDescriptions[type]} Deliveries are at least once, may arrive out of order (order by \`data.transaction.updatedAt\`) and are retried with back-off for 72 hours until the receiver answers 2xx within 10 seconds.`,
      security: [],
      parameters: [
        {
          name: signatureHeader,
          in: 'header',
          required: true,
          description: `\`t=<unix seconds>,v1=<hex HMAC-SHA256>\`: the HMAC, keyed with the endpoint secret, of \`<t>.<raw body>\`. Two \`v1=\` for 24 h after a rotation; accept if any matches, and refuse a \`t\` more than ${defaultToleranceSeconds} s from your clock. The client's verifyWebhookSignature does this.`,
          schema: { type: 'string', pattern: '^t=\\d+(,v1=[0-9a-f]{64})+$' },
        },
        { name: eventIdHeader, in: 'header', required: true, description: "The event's `id`: deduplicate on it.", schema: { type: 'string' } },
      ],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { allOf: [ref('WebhookEvent')], properties: { type: { const: type } } } } },
      },
      responses: {
        '2XX': { description: 'Received. Answer before doing slow work.' },
        default: { description: 'Anything else (and no answer within 10 seconds) is retried.' },
      },
    },
  };
}

export const routeKey = (route: Pick<RelayRoute, 'method' | 'path'>) => `${route.method} ${route.path}`;

function problemResponse(uses: readonly ProblemUse[]): Json {
  const codes = [...new Set(uses.map((u) => u.code))];
  const description = uses.map((u) => `\`${u.code}\`: ${u.when}`).join('\n\n');
  const headers = uses.some((u) => ['rate-limited', 'register-busy', 'configuration-unavailable', 'quota-exceeded', 'smartconnect-rejected', 'idempotency-key-in-progress'].includes(u.code)) ? retryAfter : undefined;
  return {
    description,
    ...(headers ? { headers } : {}),
    content: { [problemContentType]: { schema: { allOf: [ref('Problem')], properties: { code: { enum: codes } } } } },
    'x-problem-codes': codes,
  };
}

function operation(route: RelayRoute): Json {
  const key = routeKey(route);
  const op = operations[key];
  const problems = routeProblems[key];
  if (!op || !problems) throw new Error(`tools/openapi: no operation or problems for ${key}; add them`);
  const byStatus = new Map<StatusKey, ProblemUse[]>();
  for (const use of [...problems, ...(route.public ? [] : gatewayUses)]) byStatus.set(use.status, [...(byStatus.get(use.status) ?? []), use]);
  const answers: Record<string, Json> = {};
  for (const [status, success] of Object.entries(op.success)) {
    answers[status] = {
      description: success.description,
      ...(success.headers ? { headers: success.headers } : {}),
      ...(success.schema ? { content: { 'application/json': { schema: ref(success.schema) } } } : {}),
    };
  }
  for (const status of [...byStatus.keys()].sort()) answers[status] = problemResponse(byStatus.get(status)!);
  return {
    operationId: op.operationId,
    summary: op.summary,
    description: op.description,
    ...(route.public ? { security: [] } : {}),
    ...(op.parameters ? { parameters: op.parameters } : {}),
    ...(op.requestBody
      ? { requestBody: { required: true, description: `JSON, at most ${maxBodyBytes / 1024} KB. Unknown fields are refused.`, content: { 'application/json': { schema: ref(op.requestBody) } } } }
      : {}),
    responses: answers,
  };
}

export function buildOpenApiDocument(): Json {
  const paths: Record<string, Json> = {};
  for (const route of relayRoutes) (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  return {
    openapi: '3.1.0',
    info: {
      title: 'SmartConnect relay',
      version: '1',
      description: [
        "A relay in front of Smartpay's SmartConnect cloud EFTPOS API: pair a POS register with a terminal, start transactions and follow them to a final outcome.",
        '',
        `Authentication: every route but GET /health needs a POS platform API key as \`Authorization: Bearer <key>\`. Missing, unknown and revoked keys all answer the same 401 \`${unauthorizedProblem.code}\`.`,
        '',
        'Errors are RFC 9457 problems (`application/problem+json`) with a stable `code` to branch on; `detail` is written for the cashier or support. Browsers on the stage\'s allowed origins may call the API (CORS); these response headers are exposed: ' +
          corsExposeHeaders.join(', ') +
          '.',
        '',
        'Generated by `npm run openapi` from the relay\'s own schemas; do not edit by hand.',
      ].join('\n'),
    },
    servers: [{ url: 'http://localhost:3000', description: '`npm start`' }],
    security: [{ apiKey: [] }],
    tags: [{ name: 'relay' }],
    paths,
    webhooks: Object.fromEntries(webhookEventTypes.map((type) => [type, webhookOperation(type)])),
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'A POS platform API key (`npm run tenant -- create`).' } },
      schemas,
    },
  };
}
