/** DELETE /webhook-endpoints/{endpointId}: stops deliveries to it, retries under way included. */
import { httpHandler, type ApiEvent } from '#http/middy-stack.ts';
import { requireTenant } from '#tenants/tenant-context.ts';
import { parseOrThrow } from '#http/validation.ts';
import { endpointIdSchema, endpointNotFound } from '#webhooks/endpoint-api.ts';
import { endpointStore, requireWebhooksTable } from '#webhooks/webhooks-runtime.ts';

export async function deleteWebhookEndpoint(event: ApiEvent) {
  const id = parseOrThrow(endpointIdSchema, event.pathParameters?.endpointId, 'endpointId');
  const tenant = requireTenant(event);
  requireWebhooksTable();
  // Another tenant's endpoint is indistinguishable from a missing one.
  if (!(await endpointStore.delete(tenant.tenantId, id))) throw endpointNotFound(id);
  return { statusCode: 204, headers: {}, body: '' };
}

export const handler = httpHandler(deleteWebhookEndpoint);
