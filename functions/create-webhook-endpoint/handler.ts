/**
 * POST /webhook-endpoints: registers a URL for the tenant's transaction events. The answer is the
 * only time the signing secret is shown.
 */
import { randomUUID } from 'node:crypto';
import { httpHandler, jsonResponse, type JsonEvent } from '#http/middy-stack.ts';
import { requireTenant } from '#tenants/tenant-context.ts';
import { parseOrThrow } from '#http/validation.ts';
import { createEndpointRequest, tooManyEndpoints, urlRefused } from '#webhooks/endpoint-api.ts';
import { maxEndpointsPerTenant, publicEndpoint, type WebhookEndpoint } from '#webhooks/endpoint-store.ts';
import { webhookEventTypes } from '#webhooks/events.ts';
import { newEndpointSecret } from '#webhooks/signing.ts';
import { checkWebhookUrl } from '#webhooks/url-policy.ts';
import { endpointStore, requireWebhooksTable, urlPolicy } from '#webhooks/webhooks-runtime.ts';

export async function createWebhookEndpoint(event: JsonEvent) {
  const request = parseOrThrow(createEndpointRequest, event.body);
  const tenant = requireTenant(event);
  requireWebhooksTable();
  const check = await checkWebhookUrl(request.url, urlPolicy);
  if (!check.ok) throw urlRefused(check.reason);
  if ((await endpointStore.list(tenant.tenantId)).length >= maxEndpointsPerTenant) throw tooManyEndpoints(maxEndpointsPerTenant);
  const secret = newEndpointSecret();
  const endpoint: WebhookEndpoint = {
    id: randomUUID(),
    tenantId: tenant.tenantId,
    url: check.url.href,
    events: [...new Set(request.events ?? webhookEventTypes)],
    secrets: [{ secret }],
    createdAt: new Date().toISOString(),
    revision: 0,
  };
  await endpointStore.put(endpoint);
  return jsonResponse(201, { ...publicEndpoint(endpoint), secret }, { location: `/webhook-endpoints/${endpoint.id}`, 'cache-control': 'no-store' });
}

export const handler = httpHandler(createWebhookEndpoint, { jsonBody: true });
