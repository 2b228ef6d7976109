/**
 * Scripted failures for the relay's error paths: the next N matching requests get a fault
 * instead of (or, for `delay`, before) the normal answer.
 */
import type { ServerResponse } from 'node:http';
import type { Fault, FaultRoute, RouteName } from './types.ts';

interface QueuedFault {
  route: FaultRoute;
  fault: Fault;
  remaining: number;
}

export const malformedJsonBody = '{"transactionStatus":"PENDING","data":{"PollingUrl":';

export class FaultQueue {
  readonly #queue: QueuedFault[] = [];

  add(route: FaultRoute, fault: Fault, times = 1): void {
    if (!Number.isInteger(times) || times < 1) throw new Error(`times must be a positive integer, got ${times}`);
    this.#queue.push({ route, fault, remaining: times });
  }

  /** First queued fault for this route, in the order they were added. */
  take(route: RouteName): Fault | undefined {
    // The device console is not SmartConnect: 'any' never breaks it.
    if (route === 'device') return undefined;
    const index = this.#queue.findIndex((q) => q.route === 'any' || q.route === route);
    const entry = this.#queue[index];
    if (entry === undefined) return undefined;
    entry.remaining -= 1;
    if (entry.remaining === 0) this.#queue.splice(index, 1);
    return entry.fault;
  }

  clear(): void {
    this.#queue.length = 0;
  }
}

/**
 * Answers (or deliberately fails to answer) with a fault. Returns true when the response is
 * taken care of; false for `delay`, whose wait the caller does before answering normally.
 */
export function sendFault(fault: Fault, res: ServerResponse, baseHeaders: Record<string, string>): boolean {
  switch (fault.kind) {
    case 'status': {
      const headers: Record<string, string> = { ...baseHeaders };
      const hasType = Object.keys(fault.headers ?? {}).some((h) => h.toLowerCase() === 'content-type');
      if (fault.body !== undefined && !hasType) headers['Content-Type'] = 'application/json; charset=utf-8';
      Object.assign(headers, fault.headers);
      res.writeHead(fault.status, { ...headers, 'Content-Length': String(Buffer.byteLength(fault.body ?? '')) });
      res.end(fault.body);
      return true;
    }
    case 'reset':
      res.socket?.destroy();
      return true;
    case 'hang':
      // Left open on purpose; close() ends it with closeAllConnections().
      return true;
    case 'redirect':
      res.writeHead(fault.status ?? 307, { ...baseHeaders, Location: fault.location, 'Content-Length': '0' });
      res.end();
      return true;
    case 'malformed-json':
      res.writeHead(200, {
        ...baseHeaders,
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': String(Buffer.byteLength(malformedJsonBody)),
      });
      res.end(malformedJsonBody);
      return true;
    case 'delay':
      return false;
  }
}
