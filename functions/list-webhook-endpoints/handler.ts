/** GET /webhook-endpoints: the tenant's endpoints, without their secrets. */
import { httpHandler, jsonResponse, type ApiEvent } from '#http/middy-stack.ts';
import { requireTenant } from '#tenants/tenant-context.ts';
import { publicEndpoint } from '#webhooks/endpoint-store.ts';
import { endpointStore, requireWebhooksTable } from '#webhooks/webhooks-runtime.ts';

export async function listWebhookEndpoints(event: ApiEvent) {
  const tenant = requireTenant(event);
  requireWebhooksTable();
  const endpoints = await endpointStore.list(tenant.tenantId);
  return jsonResponse(200, { items: endpoints.map(publicEndpoint) });
}

export const handler = httpHandler(listWebhookEndpoints);
