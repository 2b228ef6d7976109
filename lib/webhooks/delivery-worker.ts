/**
 * What the delivery queue's consumer does with one message: fan a new event out to the tenant's
 * subscribed endpoints, or attempt one delivery; a failed attempt is re-queued with back-off until
 * 72 hours after the first attempt, then dead-lettered. The same code runs on SQS and locally.
 */
import { postEvent, retryDelayMs, deliveryPolicy, type PostRequest, type PostResult } from './delivery.ts';
import type { DeliveryMessage, WebhookMessage, WebhookQueue } from './delivery-queue.ts';
import { validSecrets, type EndpointStore } from './endpoint-store.ts';
import { checkWebhookUrl, type UrlPolicy } from './url-policy.ts';

export interface DeliveryWorkerOptions {
  readonly store: EndpointStore;
  readonly queue: WebhookQueue;
  readonly urlPolicy: UrlPolicy;
  /** Time compression of the back-off (npm start); 1 in AWS. */
  readonly backoffScale?: number;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly post?: (request: PostRequest) => Promise<PostResult>;
  readonly log?: (level: 'info' | 'warn' | 'error', message: string, attributes: Record<string, unknown>) => void;
}

export function createDeliveryWorker(options: DeliveryWorkerOptions) {
  const { store, queue, urlPolicy } = options;
  const now = options.now ?? Date.now;
  const post = options.post ?? postEvent;
  const scale = options.backoffScale ?? 1;
  const log = options.log ?? (() => undefined);

  async function deliver(message: DeliveryMessage): Promise<void> {
    const wait = (message.notBeforeMs ?? 0) - now();
    // Still early (a wait longer than SQS's 15 minutes): back on the queue, no attempt.
    if (wait > 1_000) return queue.send(message, wait);
    const attributes = { eventId: message.event.id, type: message.event.type, endpointId: message.endpointId, attempt: message.attempt };
    const endpoint = await store.get(message.tenantId, message.endpointId);
    if (!endpoint) return log('info', 'webhook endpoint deleted; delivery dropped', attributes);
    if (!endpoint.events.includes(message.event.type)) return;
    // Checked again now: DNS may have changed since registration (rebinding).
    const check = await checkWebhookUrl(endpoint.url, urlPolicy);
    const result: PostResult = check.ok
      ? await post({
          url: check.url,
          address: check.address,
          eventId: message.event.id,
          body: JSON.stringify(message.event),
          secrets: validSecrets(endpoint, now()),
          timestampSeconds: Math.floor(now() / 1000),
        })
      : { ok: false, reason: `endpoint URL refused (${check.reason})` };
    if (result.ok) return log('info', 'webhook delivered', { ...attributes, status: result.status });
    const at = now();
    const failed = { ...message, lastError: result.reason };
    if (at - message.firstAttemptAtMs >= deliveryPolicy.retryForMs * scale) {
      log('error', 'webhook delivery dead-lettered after retrying for 72 hours', { ...attributes, reason: result.reason });
      return queue.deadLetter(failed);
    }
    const delay = retryDelayMs(message.attempt, options.random, scale);
    log('warn', 'webhook delivery failed; retrying', { ...attributes, reason: result.reason, delayMs: delay });
    await queue.send({ ...failed, attempt: message.attempt + 1, notBeforeMs: at + delay }, delay);
  }

  async function handle(message: WebhookMessage): Promise<void> {
    if (message.kind === 'delivery') return deliver(message);
    // Kept for replays; written again (same id, same content) if this message is redelivered.
    await store.putEvent({ tenantId: message.tenantId, event: message.event });
    const endpoints = (await store.list(message.tenantId)).filter((e) => e.events.includes(message.event.type));
    const firstAttemptAtMs = now();
    // In parallel: one slow endpoint does not hold back the others' first attempt.
    await Promise.all(
      endpoints.map((endpoint) =>
        deliver({ kind: 'delivery', tenantId: message.tenantId, endpointId: endpoint.id, event: message.event, attempt: 1, firstAttemptAtMs }),
      ),
    );
  }

  return { handle };
}

export type DeliveryWorker = ReturnType<typeof createDeliveryWorker>;
