import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from '@jest/globals';
import { deliveryPolicy, postEvent, retryDelayMs } from '#webhooks/delivery.ts';
import type { DeliveryMessage, WebhookMessage, WebhookQueue } from '#webhooks/delivery-queue.ts';
import { createDeliveryWorker } from '#webhooks/delivery-worker.ts';
import type { EndpointStore, WebhookEndpoint } from '#webhooks/endpoint-store.ts';
import type { WebhookEvent } from '#webhooks/events.ts';
import { verifyRelaySignature } from '#webhooks/signing.ts';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => { s.closeAllConnections(); s.close(resolve); })));
});

interface Received { readonly headers: IncomingHttpHeaders; readonly body: string }

async function receiver(answer: (received: Received) => { status: number; headers?: Record<string, string> }) {
  const received: Received[] = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const entry = { headers: req.headers, body };
    received.push(entry);
    const { status, headers } = answer(entry);
    res.writeHead(status, headers).end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, received };
}

const event = { id: 'evt_test', type: 'transaction.completed', createdAt: '2026-12-01T00:00:00.000Z', data: { transaction: { id: 't1' } } } as unknown as WebhookEvent;

describe('postEvent', () => {
  test('sends the signed body with Relay-Event-Id, and a 2xx is success', async () => {
    const target = await receiver(() => ({ status: 204 }));
    const body = JSON.stringify(event);
    const now = Date.now();
    const result = await postEvent({ url: new URL(target.url), address: '127.0.0.1', eventId: event.id, body, secrets: ['whsec_a'], timestampSeconds: Math.floor(now / 1000) });
    expect(result).toEqual({ ok: true, status: 204 });
    const [got] = target.received;
    expect(got!.body).toBe(body);
    expect(got!.headers['relay-event-id']).toBe(event.id);
    expect(verifyRelaySignature({ body: got!.body, header: got!.headers['relay-signature'] as string, secrets: 'whsec_a', now })).toBe(true);
  });

  test('never follows a redirect: the target of a 302 is not contacted', async () => {
    const inside = await receiver(() => ({ status: 200 }));
    const outside = await receiver(() => ({ status: 302, headers: { location: inside.url } }));
    const result = await postEvent({ url: new URL(outside.url), address: '127.0.0.1', eventId: event.id, body: '{}', secrets: ['s'], timestampSeconds: 1 });
    expect(result).toEqual({ ok: false, status: 302, reason: expect.stringMatching(/redirects are not followed/) });
    expect(inside.received).toHaveLength(0);
  });

  test('connects to the checked address, not to what the name resolves to now', async () => {
    const target = await receiver(() => ({ status: 200 }));
    const port = new URL(target.url).port;
    // The host name does not exist; the pinned address is used for the connection.
    const result = await postEvent({ url: new URL(`http://no-such-host.invalid:${port}/hooks`), address: '127.0.0.1', eventId: event.id, body: '{}', secrets: ['s'], timestampSeconds: 1 });
    expect(result).toEqual({ ok: true, status: 200 });
    expect(target.received[0]!.headers.host).toBe(`no-such-host.invalid:${port}`);
  });

  test('an endpoint slower than the deadline is a failure', async () => {
    const server = createServer(() => undefined); // never answers
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const result = await postEvent({ url, address: '127.0.0.1', eventId: event.id, body: '{}', secrets: ['s'], timestampSeconds: 1, timeoutMs: 200 });
    expect(result).toEqual({ ok: false, reason: 'no answer within 0.2 s' });
  });
});

describe('retryDelayMs', () => {
  test('starts at 15-30 s, doubles, and never exceeds an hour', () => {
    expect(retryDelayMs(1, () => 0)).toBe(15_000);
    expect(retryDelayMs(1, () => 1)).toBe(30_000);
    expect(retryDelayMs(3, () => 1)).toBe(120_000);
    expect(retryDelayMs(30, () => 1)).toBe(3_600_000);
    expect(retryDelayMs(30, () => 0)).toBe(1_800_000);
    expect(retryDelayMs(2, () => 1, 0.01)).toBe(600);
  });
});

/** An endpoint store holding one endpoint; only what the worker calls. */
function storeWith(endpoint: WebhookEndpoint): EndpointStore {
  return {
    get: async (tenantId: string, id: string) => (tenantId === endpoint.tenantId && id === endpoint.id ? endpoint : undefined),
    list: async (tenantId: string) => (tenantId === endpoint.tenantId ? [endpoint] : []),
    putEvent: async () => undefined,
  } as unknown as EndpointStore;
}

/** Captures what the worker queues; the test plays SQS by handing messages back when due. */
function capturingQueue() {
  const pending: { message: WebhookMessage; delayMs: number }[] = [];
  const deadLetters: DeliveryMessage[] = [];
  const queue: WebhookQueue = {
    send: async (message, delayMs) => void pending.push({ message, delayMs: Math.min(delayMs, 900_000) }),
    deadLetter: async (message) => void deadLetters.push(message),
  };
  return { queue, pending, deadLetters };
}

const endpoint: WebhookEndpoint = {
  id: 'ep1', tenantId: 'tenant-a', url: 'https://pos.example/hooks', events: ['transaction.completed'], secrets: [{ secret: 'whsec_a' }], createdAt: '', revision: 0,
};

describe('the delivery worker', () => {
  test('retries a failing endpoint with back-off for at least 72 hours, then dead-letters it', async () => {
    let clock = 1_000_000;
    const attempts: number[] = [];
    const { queue, pending, deadLetters } = capturingQueue();
    const worker = createDeliveryWorker({
      store: storeWith(endpoint),
      queue,
      urlPolicy: { allowLoopback: false, resolve: async () => ['93.184.216.34'] },
      now: () => clock,
      random: () => 0.5,
      post: async () => {
        attempts.push(clock);
        return { ok: false, status: 500, reason: 'answered 500' };
      },
    });
    await worker.handle({ kind: 'fan-out', tenantId: 'tenant-a', event });
    while (pending.length > 0) {
      const next = pending.shift()!;
      clock += next.delayMs;
      await worker.handle(next.message);
    }
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]).toMatchObject({ endpointId: 'ep1', lastError: 'answered 500', event: { id: event.id } });
    const span = attempts.at(-1)! - attempts[0]!;
    expect(span).toBeGreaterThanOrEqual(deliveryPolicy.retryForMs);
    expect(span).toBeLessThan(deliveryPolicy.retryForMs + deliveryPolicy.maxRetryMs);
    // Back-off grows, and no gap between attempts exceeds the 1 h ceiling.
    const gaps = attempts.slice(1).map((at, i) => at - attempts[i]!);
    expect(gaps[0]).toBe(22_500);
    expect(gaps[1]).toBe(45_000);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(deliveryPolicy.maxRetryMs);
  });

  test('checks DNS again at delivery: a name rebound to the metadata address is not contacted', async () => {
    const answers = [['169.254.169.254'], ['93.184.216.34']];
    const posted: string[] = [];
    let clock = 0;
    const { queue, pending } = capturingQueue();
    const worker = createDeliveryWorker({
      store: storeWith(endpoint),
      queue,
      now: () => clock,
      urlPolicy: { allowLoopback: false, resolve: async () => answers.shift()! },
      post: async (request) => {
        posted.push(request.address);
        return { ok: true, status: 200 };
      },
    });
    await worker.handle({ kind: 'fan-out', tenantId: 'tenant-a', event });
    expect(posted).toEqual([]);
    expect(pending).toHaveLength(1);
    expect((pending[0]!.message as DeliveryMessage).lastError).toMatch(/169\.254\.169\.254/);
    const retry = pending.shift()!;
    clock += retry.delayMs;
    await worker.handle(retry.message);
    expect(posted).toEqual(['93.184.216.34']);
  });

  test('delivers only to the event tenant’s endpoints subscribed to its type', async () => {
    const posted: string[] = [];
    const { queue } = capturingQueue();
    const worker = createDeliveryWorker({
      store: storeWith(endpoint),
      queue,
      urlPolicy: { allowLoopback: false, resolve: async () => ['93.184.216.34'] },
      post: async (request) => {
        posted.push(request.eventId);
        return { ok: true, status: 200 };
      },
    });
    await worker.handle({ kind: 'fan-out', tenantId: 'tenant-b', event });
    await worker.handle({ kind: 'fan-out', tenantId: 'tenant-a', event: { ...event, type: 'transaction.delayed' } });
    expect(posted).toEqual([]);
    await worker.handle({ kind: 'fan-out', tenantId: 'tenant-a', event });
    expect(posted).toEqual([event.id]);
  });
});
