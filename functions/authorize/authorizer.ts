/**
 * The API Gateway REQUEST Lambda authorizer, as a factory over a tenant store and a logger (the
 * Lambda entry point, handler.ts, wires the DynamoDB store; tests and the local server inject theirs).
 *
 * Why REQUEST rather than TOKEN: the event carries the request's headers in the same shape as the
 * proxy event, so the local server can run this very function on the request it already has; the
 * header name is matched case-insensitively and a repeated Authorization header can be refused; and
 * further identity sources can be added without changing the authorizer type. Caching is the same
 * for both (keyed on the Authorization header, the sole identity source).
 *
 * Every failure (no header, not Bearer, malformed key, unknown keyId, wrong secret, revoked or not
 * admitted key, missing tenant) ends in the same `Error('Unauthorized')`, which API Gateway turns
 * into its UNAUTHORIZED gateway response (401): the client cannot tell the cases apart. Only the log
 * says which it was, naming the keyId and never the key. A store failure is not an authentication
 * answer: it is rethrown, and API Gateway answers 500 (AUTHORIZER_FAILURE) instead of a false 401.
 */
import type {
  APIGatewayAuthorizerWithContextResult,
  APIGatewayProxyEvent,
  APIGatewayRequestAuthorizerEvent,
  PolicyDocument,
} from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { keyIdForLog, parseApiKey, verifyApiKey } from '#tenants/api-keys.ts';
import type { TenantRecord, TenantStore } from '#tenants/tenant-store.ts';
import { toAuthorizerContext, type AuthorizerContext } from '#tenants/tenant-context.ts';

export type AuthorizerResult = APIGatewayAuthorizerWithContextResult<AuthorizerContext>;

/** The subset of the Powertools logger the authorizer uses. */
export type AuthorizerLogger = Pick<Logger, 'debug' | 'info' | 'error'>;

export interface AuthorizerDependencies {
  readonly store: Pick<TenantStore, 'findActiveKey'>;
  readonly logger: AuthorizerLogger;
}

/** Why a request was refused: for the log only, never for the response. */
export type RefusalReason = 'missing' | 'repeated-header' | 'not-bearer' | 'malformed' | 'not-active' | 'wrong-secret';

export type Authentication =
  | { readonly ok: true; readonly tenant: TenantRecord; readonly keyId: string }
  | { readonly ok: false; readonly reason: RefusalReason; readonly keyId?: string };

type Headers = Record<string, string | undefined> | null | undefined;
type MultiValueHeaders = Record<string, string[] | undefined> | null | undefined;

/** The Authorization header's value, refusing a repeated one (which value would a proxy have used?). */
export function authorizationHeader(headers: Headers, multiValueHeaders?: MultiValueHeaders): { value?: string; repeated: boolean } {
  const values = Object.entries(multiValueHeaders ?? {})
    .filter(([name]) => name.toLowerCase() === 'authorization')
    .flatMap(([, v]) => v ?? []);
  if (values.length > 1) return { repeated: true };
  const single = Object.entries(headers ?? {}).filter(([name]) => name.toLowerCase() === 'authorization');
  if (single.length > 1) return { repeated: true };
  return { value: single[0]?.[1] ?? values[0], repeated: false };
}

const bearerPattern = /^bearer +(\S+)$/i;

/** The token of a `Bearer` Authorization header, if the request has exactly one. */
export function bearerToken(event: Pick<APIGatewayRequestAuthorizerEvent, 'headers' | 'multiValueHeaders'>): string | undefined {
  const header = authorizationHeader(event.headers, event.multiValueHeaders);
  return header.repeated || header.value === undefined ? undefined : bearerPattern.exec(header.value.trim())?.[1];
}

/** Decides whether an Authorization header value authenticates a tenant. */
export async function authenticate(store: Pick<TenantStore, 'findActiveKey'>, header: string | undefined): Promise<Authentication> {
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing' };
  const token = bearerPattern.exec(header.trim())?.[1];
  if (token === undefined) return { ok: false, reason: 'not-bearer' };
  const parsed = parseApiKey(token);
  if (!parsed) {
    const keyId = keyIdForLog(token);
    return { ok: false, reason: 'malformed', ...(keyId ? { keyId } : {}) };
  }
  const found = await store.findActiveKey(parsed.keyId);
  // Compared even when nothing was found (against a dummy), so both paths do the same work.
  const matches = verifyApiKey(token, found?.key.hash);
  if (!found) return { ok: false, reason: 'not-active', keyId: parsed.keyId };
  if (!matches) return { ok: false, reason: 'wrong-secret', keyId: parsed.keyId };
  return { ok: true, tenant: found.tenant, keyId: parsed.keyId };
}

/**
 * One Allow statement for every method and path of the API's stage. API Gateway caches the result
 * by the identity source (the Authorization header) alone and reuses it for every route the same key
 * calls next; a policy naming only the first method ARN would make the second route answer 403 until
 * the cache expired. What a tenant may do is decided in the handlers from the context, not here.
 */
export function stageWildcardResource(methodArn: string): string {
  // arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path…}
  const [api, stage] = methodArn.split('/');
  if (!api?.startsWith('arn:') || api.split(':').length !== 6 || !stage) throw new Error(`unexpected methodArn: ${methodArn}`);
  return `${api}/${stage}/*/*`;
}

export function allowPolicy(methodArn: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: stageWildcardResource(methodArn) }],
  };
}

/** The only failure a client ever sees; the message is the API Gateway contract for a 401. */
const unauthorized = () => new Error('Unauthorized');

export function createAuthorizer({ store, logger }: AuthorizerDependencies) {
  return async function authorize(event: APIGatewayRequestAuthorizerEvent): Promise<AuthorizerResult> {
    // Built before any lookup: a malformed methodArn is a wiring fault (500), never a 401.
    const policyDocument = allowPolicy(event.methodArn);
    const header = authorizationHeader(event.headers, event.multiValueHeaders);
    let result: Authentication;
    if (header.repeated) {
      result = { ok: false, reason: 'repeated-header' };
    } else {
      try {
        result = await authenticate(store, header.value);
      } catch (error) {
        logger.error('tenant store unavailable; answering 500, not 401', { error: String(error) });
        throw new Error('Tenant store unavailable', { cause: error });
      }
    }
    if (!result.ok) {
      logger.info('authorization refused', { reason: result.reason, ...(result.keyId ? { keyId: result.keyId } : {}) });
      throw unauthorized();
    }
    const { tenant, keyId } = result;
    logger.debug('authorized', { tenantId: tenant.tenantId, keyId });
    return {
      principalId: tenant.tenantId,
      policyDocument,
      context: toAuthorizerContext(tenant, keyId),
      ...(tenant.usagePlan ? { usageIdentifierKey: tenant.usagePlan.apiKeyValue } : {}),
    };
  };
}

export type Authorizer = ReturnType<typeof createAuthorizer>;

// ---------------------------------------------------------------------------------------------
// For the local server: run the authorizer on the proxy event it built, as API Gateway would.

/** The REQUEST authorizer event API Gateway would send for this proxy event. */
export function toRequestAuthorizerEvent(event: APIGatewayProxyEvent): APIGatewayRequestAuthorizerEvent {
  const { requestContext } = event;
  const methodArn = `arn:aws:execute-api:local:${requestContext.accountId || '000000000000'}:${requestContext.apiId || 'local'}/${requestContext.stage}/${event.httpMethod}${event.path}`;
  return {
    type: 'REQUEST',
    methodArn,
    resource: event.resource,
    path: event.path,
    httpMethod: event.httpMethod,
    headers: event.headers,
    multiValueHeaders: event.multiValueHeaders,
    pathParameters: event.pathParameters,
    queryStringParameters: event.queryStringParameters,
    multiValueQueryStringParameters: event.multiValueQueryStringParameters,
    stageVariables: event.stageVariables,
    requestContext: { ...requestContext, authorizer: undefined },
  };
}

/**
 * Runs the authorizer for a proxy event and returns what API Gateway would put in
 * `requestContext.authorizer` (`principalId` plus the context), or undefined for the 401 case.
 * Store failures are rethrown (API Gateway's 500).
 */
export async function authorizeProxyEvent(authorize: Authorizer, event: APIGatewayProxyEvent): Promise<(AuthorizerContext & { principalId: string }) | undefined> {
  try {
    const result = await authorize(toRequestAuthorizerEvent(event));
    return { ...result.context, principalId: result.principalId };
  } catch (error) {
    if (error instanceof Error && error.message === 'Unauthorized') return undefined;
    throw error;
  }
}
