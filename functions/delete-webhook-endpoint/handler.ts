/** DELETE /webhook-endpoints/{endpointId}: stops deliveries to it, retries under way included. */
import { httpHandler, type ApiEvent } from '../shared/http.ts';
import { requireTenant } from '../shared/tenant-context.ts';
import { parseOrThrow } from '../shared/validation.ts';
import { endpointIdSchema, endpointNotFound } from '../../lib/webhooks/endpoint-api.ts';
import { endpointStore, requireWebhooksTable } from '../../lib/webhooks/webhooks-runtime.ts';

export async function deleteWebhookEndpoint(event: ApiEvent) {
  const id = parseOrThrow(endpointIdSchema, event.pathParameters?.endpointId, 'endpointId');
  const tenant = requireTenant(event);
  requireWebhooksTable();
  // Another tenant's endpoint is indistinguishable from a missing one.
  if (!(await endpointStore.delete(tenant.tenantId, id))) throw endpointNotFound(id);
  return { statusCode: 204, headers: {}, body: '' };
}

export const handler = httpHandler(deleteWebhookEndpoint);
