/**
 * The tenant as handlers see it: what the authorizer puts in its `context`, how a handler reads it
 * back from `event.requestContext.authorizer`, and the 401/403 problems of authentication and
 * vendor scoping. Pure and dependency-light (no store, no SDK), so every route handler and the
 * local server can import it without growing their bundles.
 */
import { RelayProblem } from '#http/problem.ts';

export interface TenantContext {
  readonly tenantId: string;
  /** The key that authenticated the request, for logs and support (not secret). */
  readonly keyId?: string;
  /** The `posVendorName` values this tenant may pair and transact with; `any` for the operator. */
  readonly posVendorNames: readonly string[] | 'any';
}

/**
 * Whoever invokes a function directly rather than through API Gateway. API Gateway always adds the
 * authorizer's context: every method but GET /health has the authorizer (asserted by the infra
 * tests and cdk-nag APIG4). So an event with no authorizer context at all can only come from an
 * AWS principal that IAM allows to invoke the function (an operator, a deployment check), which
 * acts as this separate tenant: it sees none of the POS platforms' transactions.
 */
export const directInvocationTenant: TenantContext = { tenantId: 'direct-invocation', posVendorNames: 'any' };

/**
 * The authorizer's `context`. API Gateway allows only string, number and boolean values there, so
 * the vendor list travels as a JSON string. Handlers receive these members (plus `principalId`, which
 * is the tenant id again) in `event.requestContext.authorizer`.
 */
export interface AuthorizerContext {
  readonly tenantId: string;
  readonly keyId: string;
  /** JSON array of strings. */
  readonly posVendorNames: string;
  readonly [name: string]: string;
}

export function toAuthorizerContext(tenant: { tenantId: string; posVendorNames: readonly string[] }, keyId: string): AuthorizerContext {
  return { tenantId: tenant.tenantId, keyId, posVendorNames: JSON.stringify(tenant.posVendorNames) };
}

/** Anything shaped like an API Gateway proxy event (REST), including the relay's JsonEvent. */
export interface EventWithAuthorizer {
  readonly requestContext?: { readonly authorizer?: unknown } | null;
}

/**
 * The authenticated tenant of a request, or undefined when the event carries no (well-formed)
 * authorizer context: a route deployed without the authorizer, or a local call that skipped it.
 */
export function tenantFromEvent(event: EventWithAuthorizer): TenantContext | undefined {
  const authorizer = event.requestContext?.authorizer;
  if (typeof authorizer !== 'object' || authorizer === null) return undefined;
  const { tenantId, keyId, posVendorNames } = authorizer as Record<string, unknown>;
  if (typeof tenantId !== 'string' || tenantId === '' || typeof posVendorNames !== 'string') return undefined;
  let vendors: unknown;
  try {
    vendors = JSON.parse(posVendorNames);
  } catch {
    return undefined;
  }
  if (!Array.isArray(vendors) || !vendors.every((v): v is string => typeof v === 'string')) return undefined;
  return { tenantId, ...(typeof keyId === 'string' && keyId !== '' ? { keyId } : {}), posVendorNames: vendors };
}

/**
 * The tenant. No authorizer context at all is a direct invocation (see `directInvocationTenant`);
 * an authorizer context that does not name a tenant properly is refused with the gateway's 401.
 */
export function requireTenant(event: EventWithAuthorizer): TenantContext {
  const authorizer = event.requestContext?.authorizer;
  if (authorizer === undefined || authorizer === null) return directInvocationTenant;
  const tenant = tenantFromEvent(event);
  if (!tenant) throw authProblems.unauthorized();
  return tenant;
}

/** Throws the 403 problem unless the tenant may use `posVendorName` (exact, case-sensitive match, as SmartConnect routes on it). */
export function assertVendorAllowed(tenant: Pick<TenantContext, 'posVendorNames'>, posVendorName: string): void {
  if (tenant.posVendorNames !== 'any' && !tenant.posVendorNames.includes(posVendorName)) {
    throw authProblems.forbiddenVendor(posVendorName, tenant.posVendorNames);
  }
}

/**
 * The 401 every authentication failure answers, field for field: the API Gateway UNAUTHORIZED
 * gateway response (infra) and the local server should both use these, so no client can tell a
 * missing key from a malformed, unknown or revoked one.
 */
export const unauthorizedProblem = {
  status: 401,
  code: 'unauthorized',
  title: 'Missing or invalid API key',
  detail: 'Nothing was sent to the terminal. Send a current API key of your POS platform as "Authorization: Bearer <key>".',
  headers: { 'WWW-Authenticate': 'Bearer realm="smartconnect-relay"' },
} as const;

/** The 500 when API keys cannot be checked (tenant store unreachable): gateway response and local server alike. */
export const authorizerFailureProblem = {
  status: 500,
  code: 'authorizer-failure',
  title: 'The relay could not check the API key',
  detail: 'Nothing was sent to the terminal. Try again; if it persists, contact support.',
} as const;

export const authProblems = {
  authorizerFailure: (cause: unknown) => new RelayProblem({ ...authorizerFailureProblem, cause }),

  unauthorized: () =>
    new RelayProblem({
      status: unauthorizedProblem.status,
      code: unauthorizedProblem.code,
      title: unauthorizedProblem.title,
      detail: unauthorizedProblem.detail,
      headers: { ...unauthorizedProblem.headers },
    }),

  forbiddenVendor: (posVendorName: string, allowed: readonly string[]) =>
    new RelayProblem({
      status: 403,
      code: 'vendor-not-allowed',
      title: 'This API key may not use that posVendorName',
      detail: `Nothing was sent to the terminal. Your API key is set up for posVendorName ${allowed.map((v) => JSON.stringify(v)).join(', ')}, not ${JSON.stringify(posVendorName)}. Send one of those, or ask support to add this one.`,
      extensions: { posVendorName, allowedPosVendorNames: [...allowed] },
    }),
};
