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

const vendorProblem = p('vendor-not-allowed', '403', 'The API key may not use this posVendorName.');
const internal = p('internal-error', '500', 'An unexpected relay error.');

/** Problems API Gateway itself (and the local server in its place) may answer on any authenticated route. */
export const gatewayUses: ProblemUse[] = [
  ...gatewayProblems.map((g) => p(g.code, g.status === undefined ? (g.code === 'gateway-rejected' ? '4XX' : '5XX') : (String(g.status) as StatusKey), g.title)),
  p('ip-rate-limited', '429', "The prod firewall's per-IP rate rule (infra/web-firewall.ts)."),
  p('rate-limited', '429', 'Over the per-tenant rate (local server and API Gateway usage plans); honour Retry-After.'),
].filter((use, i, all) => all.findIndex((u) => u.code === use.code && u.status === use.status) === i);

/** Per route, keyed `METHOD path` as in functions/routes.ts. */
export const routeProblems: Readonly<Record<string, readonly ProblemUse[]>> = {
  'GET /health': [internal],
  'PUT /pairing/{pairingCode}': [...bodyProblems, vendorProblem, ...smartConnectProblems, internal],
  'POST /transactions': [
    ...bodyProblems,
    vendorProblem,
    p('register-busy', '409', "The register already has a transaction in progress; follow `pendingTransactionId`. Honour Retry-After."),
    p('idempotency-key-reused', '422', 'The Idempotency-Key belongs to a different body. Nothing was sent.'),
    p('outcome-unknown', '502', 'SmartConnect may have received the transaction but the answer was lost: `transaction` is the stored UNKNOWN transaction. Check the terminal; never resend with a new key.'),
    ...smartConnectProblems.filter((u) => u.code !== 'smartconnect-timeout'),
    internal,
  ],
  'GET /transactions': [p('invalid-request', '400', 'posRegisterId missing, limit out of range or an unknown cursor.'), p('relay-misconfigured', '500', 'The relay has no transactions table configured.'), internal],
  'GET /transactions/{transactionId}': [
    p('invalid-request', '400', 'The id is not a transaction id.'),
    p('transaction-not-found', '404', 'No such transaction for this account.'),
    p('relay-misconfigured', '500', 'The relay has no transactions table configured.'),
    internal,
  ],
};

/** Every code the document knows about, route problems and gateway problems alike. */
export function allProblemCodes(): Set<string> {
  return new Set([...gatewayUses, ...Object.values(routeProblems).flat()].map((u) => u.code));
}
