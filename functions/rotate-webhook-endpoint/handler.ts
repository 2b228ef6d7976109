/**
 * POST /webhook-endpoints/{endpointId}/rotate-secret: a new signing secret, shown once. For 24 h
 * each delivery carries a signature under the previous secret too, so receivers can switch over.
 */
import { httpHandler, jsonResponse, type ApiEvent } from '#http/middy-stack.ts';
import { requireTenant } from '#tenants/tenant-context.ts';
import { parseOrThrow } from '#http/validation.ts';
import { endpointIdSchema, endpointNotFound } from '#webhooks/endpoint-api.ts';
import { publicEndpoint } from '#webhooks/endpoint-store.ts';
import { newEndpointSecret } from '#webhooks/signing.ts';
import { endpointStore, requireWebhooksTable } from '#webhooks/webhooks-runtime.ts';

export async function rotateWebhookEndpoint(event: ApiEvent) {
  const id = parseOrThrow(endpointIdSchema, event.pathParameters?.endpointId, 'endpointId');
  const tenant = requireTenant(event);
  requireWebhooksTable();
  const secret = newEndpointSecret();
  const endpoint = await endpointStore.rotateSecret(tenant.tenantId, id, secret);
  if (!endpoint) throw endpointNotFound(id);
  const previous = endpoint.secrets.map((s) => s.expiresAtMs).filter((ms): ms is number => ms !== undefined);
  return jsonResponse(
    200,
    { ...publicEndpoint(endpoint), secret, previousSecretsValidUntil: previous.length ? new Date(Math.max(...previous)).toISOString() : null },
    { 'cache-control': 'no-store' },
  );
}

export const handler = httpHandler(rotateWebhookEndpoint);
