/**
 * Which POS platform (tenant) a request comes from. Every store key is scoped by it, so one
 * tenant can never see, replay or lock another's transactions.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';

/** Until per-tenant API keys are wired in (issue #4), every caller is this one tenant. */
export const defaultTenantId = 'default';

export function tenantIdOf(event: Pick<APIGatewayProxyEvent, 'requestContext'>): string {
  const tenantId = (event.requestContext?.authorizer as { tenantId?: unknown } | null | undefined)?.tenantId;
  return typeof tenantId === 'string' && tenantId ? tenantId : defaultTenantId;
}
