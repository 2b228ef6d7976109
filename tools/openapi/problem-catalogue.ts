/**
 * Which problem codes each route can answer, under which status. Codes come from the code that
 * raises them (functions/ and infra/gateway-problems.ts); test/unit/openapi.test.ts scans the
 * sources for every `code: '…'` and fails when one is missing here.
 */
import { gatewayProblems } from '../../infra/gateway-problems.ts';

/** An HTTP status, or an OpenAPI range (`4XX`) for statuses passed through from elsewhere. */
export type StatusKey = `${number}` | '4XX' | '5XX';

export interface ProblemUse {
  readonly code: string;
  readonly status: StatusKey;
  /** When it happens, for the reference page. */
  readonly when: string;
}

const p = (code: string, status: StatusKey, when: string): ProblemUse => ({ code, status, when });

/** Raised by the HTTP stack of every route with a JSON body. */
const bodyProblems: ProblemUse[] = [
  p('invalid-request', '400', 'A field is missing or wrong; `errors` lists every one. Nothing was sent.'),
  p('malformed-json', '400', 'The body is not JSON. Nothing was sent.'),
  p('json-too-deep', '400', 'The JSON body nests objects and arrays too deeply (`maxDepth` says how deep it may). Nothing was sent.'),
  p('unsupported-media-type', '415', 'The body was not sent as application/json.'),
  p('request-too-large', '413', 'The body is over 64 KB (the relay) or over API Gateway\'s payload limit.'),
];

/** Reaching SmartConnect: shared by the routes that call it during the request. */
const smartConnectProblems: ProblemUse[] = [
  p('smartconnect-rejected', '400', 'SmartConnect refused the request (e.g. an invalid or used pairing code, a register that is not paired); its status and words are passed through.'),
  p('smartconnect-rejected', '429', 'SmartConnect refused the request with 429 (the terminal is busy); honour Retry-After.'),
  p('smartconnect-rejected', '4XX', 'Any other SmartConnect 4xx, passed through with its status.'),
  p('smartconnect-unavailable', '502', 'SmartConnect could not be reached or answered wrongly.'),
  p('smartconnect-timeout', '504', 'SmartConnect did not answer in time.'),
  p('relay-misconfigured', '500', 'The relay is misconfigured; an operator must act.'),
  p('configuration-unavailable', '503', 'The relay could not read its configuration; honour Retry-After.'),
];

/** Raised by the HTTP stack of every route, before the handler reads a header. */
const headerProblem = p('duplicate-header', '400', 'A header the relay reads (Idempotency-Key, Authorization, Content-Type, …) was sent twice or as a comma-separated list; `header` names it. Nothing was sent.');

const vendorProblem = p('vendor-not-allowed', '403', 'The API key may not use this posVendorName.');
const internal = p('internal-error', '500', 'An unexpected relay error.');

const webhooksTableMissing = p('relay-misconfigured', '500', 'The relay has no webhooks table configured.');
const endpointIdProblems = [
  p('invalid-request', '400', 'The id is not an endpoint id.'),
  p('webhook-endpoint-not-found', '404', 'No such webhook endpoint for this account (another account\'s endpoint answers the same).'),
];

/** Problems API Gateway itself (and the local server in its place) may answer on any authenticated route. */
export const gatewayUses: ProblemUse[] = [
  ...gatewayProblems.map((g) => p(g.code, g.status === undefined ? (g.code === 'gateway-rejected' ? '4XX' : '5XX') : (String(g.status) as StatusKey), g.title)),
  p('ip-rate-limited', '429', "The prod firewall's per-IP rate rule (infra/web-firewall.ts)."),
  p('rate-limited', '429', 'Over the per-tenant rate (local server and API Gateway usage plans); honour Retry-After.'),
].filter((use, i, all) => all.findIndex((u) => u.code === use.code && u.status === use.status) === i);

/** Per route, keyed `METHOD path` as in functions/routes.ts. */
export const routeProblems: Readonly<Record<string, readonly ProblemUse[]>> = {
  'GET /health': [headerProblem, internal],
  'PUT /pairing/{pairingCode}': [headerProblem, ...bodyProblems, vendorProblem, ...smartConnectProblems, internal],
  'POST /transactions': [
    headerProblem,
    ...bodyProblems,
    vendorProblem,
    p('register-busy', '409', "The register already has a transaction in progress; follow `pendingTransactionId`. Honour Retry-After."),
    p('idempotency-key-in-progress', '409', 'A request with this Idempotency-Key is still waiting for SmartConnect\'s answer; `transactionId` names it. Nothing new was sent: retry with the same key after Retry-After.'),
    p('idempotency-key-reused', '422', 'The Idempotency-Key belongs to a different body. Nothing was sent.'),
    p('outcome-unknown', '502', 'SmartConnect may have received the transaction but the answer was lost: `transaction` is the stored UNKNOWN transaction. Check the terminal; never resend with a new key.'),
    ...smartConnectProblems.filter((u) => u.code !== 'smartconnect-timeout'),
    internal,
  ],
  'GET /transactions': [headerProblem, p('invalid-request', '400', 'posRegisterId missing, limit out of range or an unknown cursor.'), p('relay-misconfigured', '500', 'The relay has no transactions table configured.'), internal],
  'GET /transactions/{transactionId}': [
    headerProblem,
    p('invalid-request', '400', 'The id is not a transaction id.'),
    p('transaction-not-found', '404', 'No such transaction for this account.'),
    p('relay-misconfigured', '500', 'The relay has no transactions table configured.'),
    internal,
  ],
  'POST /webhook-endpoints': [
    headerProblem,
    ...bodyProblems,
    p('invalid-request', '400', 'Also: the `url` is refused (not https, credentials in it, or a host that resolves to a loopback, private, link-local or other non-public address).'),
    p('too-many-webhook-endpoints', '409', 'The account already has the most endpoints allowed (10); delete one first.'),
    webhooksTableMissing,
    internal,
  ],
  'GET /webhook-endpoints': [headerProblem, webhooksTableMissing, internal],
  'DELETE /webhook-endpoints/{endpointId}': [headerProblem, ...endpointIdProblems, webhooksTableMissing, internal],
  'POST /webhook-endpoints/{endpointId}/rotate-secret': [headerProblem, ...endpointIdProblems, webhooksTableMissing, internal],
};

/** Every code the document knows about, route problems and gateway problems alike. */
export function allProblemCodes(): Set<string> {
  return new Set([...gatewayUses, ...Object.values(routeProblems).flat()].map((u) => u.code));
}
