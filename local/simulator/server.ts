/**
 * HTTPS front door: reads each request whole, records it, applies any scripted fault, then
 * routes it to pairing, transactions or the device console (docs/smartconnect.md §2).
 */
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendFault } from './faults.ts';
import type { FaultQueue } from './faults.ts';
import type { DeviceConsole } from './device-api.ts';
import type { PairingRegistry } from './pairing.ts';
import type { Reply, TransactionStore } from './transactions.ts';
import type { RecordedRequest, RouteName } from './types.ts';

export interface ServerDeps {
  pairing: PairingRegistry;
  transactions: TransactionStore;
  faults: FaultQueue;
  requests: RecordedRequest[];
  tls: { key: Buffer; cert: Buffer };
  /** Saves the state after a change, before the answer leaves (the state file, when there is one). */
  persist?: () => void;
  /** The virtual terminal page and its JSON (device-api.ts). */
  deviceConsole?: DeviceConsole;
}

export interface RunningServer {
  readonly port: number;
  close(): Promise<void>;
}

// Sent on every response, faults included: browser POS clients call SmartConnect directly (§1).
export const corsHeaders: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, PUT, POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type',
};

const maxBodyBytes = 1024 * 1024;
const notFormMessage = 'The request body must be application/x-www-form-urlencoded';

interface Match {
  route: RouteName;
  /** The decoded {pairingCode} or {transactionId} path segment. */
  param?: string;
}

/** Wrong method or unknown path is 'other', which answers 404 with no body. */
export function classify(method: string, pathname: string): Match {
  const path = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  const segments = path.split('/').slice(1);
  const lower = segments.map((s) => s.toLowerCase());
  const decoded = (i: number): string | undefined => {
    try {
      return decodeURIComponent(segments[i] ?? '');
    } catch {
      return undefined;
    }
  };
  if (lower.length === 2 && lower[0] === '_device' && lower[1] === 'pairing-codes' && method === 'POST') return { route: 'device' };
  if (lower[0] !== 'pos') return { route: 'other' };
  if (lower.length === 2 && lower[1] === 'transaction' && method === 'POST') return { route: 'transaction' };
  if (lower.length === 3 && segments[2] !== '') {
    const param = decoded(2);
    if (param === undefined) return { route: 'other' };
    if (lower[1] === 'pairing' && method === 'PUT') return { route: 'pairing', param };
    if (lower[1] === 'transaction' && method === 'GET') return { route: 'poll', param };
  }
  return { route: 'other' };
}

const isFormEncoded = (contentType: string | undefined): boolean =>
  (contentType ?? '').split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';

export function startServer(deps: ServerDeps, port: number): Promise<RunningServer> {
  const delays = new Set<NodeJS.Timeout>();
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        delays.delete(timer);
        resolve();
      }, ms);
      delays.add(timer);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer, tooLarge: boolean): Promise<void> => {
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    const url = new URL(target, 'https://127.0.0.1');
    const rawBody = body.toString('utf8');
    // The virtual terminal's screen is not SmartConnect: not recorded, never faulted.
    const onScreen = method === 'POST' && classify(method, url.pathname).route === 'device' ? undefined : deps.deviceConsole?.(method, url.pathname, rawBody);
    if (onScreen) {
      // A verdict or a new code from the page survives a kill like anything the relay was told.
      if (method === 'POST') deps.persist?.();
      res.writeHead(onScreen.status, { 'Content-Type': onScreen.contentType ?? 'text/plain', 'Cache-Control': 'no-store' });
      res.end(onScreen.body);
      return;
    }
    const formEncoded = isFormEncoded(req.headers['content-type']);
    const form = formEncoded ? Object.fromEntries(new URLSearchParams(rawBody)) : {};
    const match = method === 'OPTIONS' ? { route: 'other' as const } : classify(method, url.pathname);
    const recorded: RecordedRequest = {
      method,
      path: target.split('?')[0] ?? target,
      query: Object.fromEntries(url.searchParams),
      headers: { ...req.headers },
      rawBody,
      form,
      route: match.route,
      receivedAt: Date.now(),
    };
    deps.requests.push(recorded);
    res.once('finish', () => {
      recorded.status = res.statusCode;
    });

    // Preflights are the browser's business, not a request the relay makes: never faulted.
    if (method === 'OPTIONS') return send(res, { status: 204, headers: { 'Access-Control-Max-Age': '600' } });

    const fault = deps.faults.take(match.route);
    if (fault !== undefined) {
      if (sendFault(fault, res, { ...corsHeaders })) return;
      if (fault.kind === 'delay') await sleep(fault.ms);
      if (res.destroyed || req.socket.destroyed) return;
    }

    if (tooLarge) return send(res, { status: 413 });
    // An empty body without a content type is an empty form: the missing-field rules then apply.
    const formOk = formEncoded || (rawBody === '' && req.headers['content-type'] === undefined);
    const reply = route(deps, match, url, rawBody, form, formOk);
    // Saved before answering: whatever the relay is told survives a kill of the process.
    if (match.route !== 'other') deps.persist?.();
    return send(res, reply);
  };

  const server = createServer({ key: deps.tls.key, cert: deps.tls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
    });
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks), size > maxBodyBytes).catch(() => {
        // A bug must still answer something: 5xx carries no body (§2).
        if (!res.headersSent && !res.destroyed) send(res, { status: 500 });
      });
    });
    req.on('error', () => res.destroy());
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise((resolve) => {
      for (const timer of delays) clearTimeout(timer);
      delays.clear();
      server.close(() => resolve());
      // Also ends keep-alive and hung (faulted) connections, which server.close() would wait for.
      server.closeAllConnections();
    });
    return closing;
  };

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('The simulator could not read its listening port'));
        return;
      }
      resolve({ port: address.port, close });
    });
  });
}

function route(deps: ServerDeps, match: Match, url: URL, rawBody: string, form: Record<string, string>, formOk: boolean): Reply {
  switch (match.route) {
    case 'pairing': {
      if (!formOk) return errorReply(400, notFormMessage);
      const result = deps.pairing.pair(match.param ?? '', form);
      return result.ok ? { status: 200, body: { result: 'success' } } : errorReply(400, result.error);
    }
    case 'transaction':
      if (!formOk) return errorReply(400, notFormMessage);
      return deps.transactions.create(form);
    case 'poll':
      return deps.transactions.poll(match.param ?? '', url.searchParams.get('merchantAccessToken') ?? undefined);
    case 'device':
      return issueFromConsole(deps.pairing, rawBody);
    case 'other':
      return { status: 404 };
  }
}

export function issueFromConsole(pairing: PairingRegistry, rawBody: string): Reply {
  let deviceId: unknown;
  if (rawBody.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawBody);
    } catch {
      return errorReply(400, 'The body must be empty or a JSON object like {"deviceId":"7070714000"}');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return errorReply(400, 'The body must be empty or a JSON object like {"deviceId":"7070714000"}');
    }
    deviceId = (parsed as Record<string, unknown>).deviceId;
  }
  if (deviceId !== undefined && (typeof deviceId !== 'string' || !/^\d{10}$/.test(deviceId))) {
    return errorReply(400, 'deviceId must be a 10-digit string');
  }
  const issued = pairing.issueCode(deviceId);
  return {
    status: 201,
    body: { pairingCode: issued.pairingCode, deviceId: issued.deviceId, expiresAt: new Date(issued.expiresAt).toISOString() },
  };
}

export const errorReply = (status: number, message: string): Reply => ({ status, body: { error: message } });

function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...corsHeaders, ...reply.headers };
  if (reply.body === undefined) {
    // 204 must not carry a Content-Length; every other empty answer says 0 so keep-alive works.
    if (reply.status !== 204) headers['Content-Length'] = '0';
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(reply.body);
  headers['Content-Type'] = 'application/json; charset=utf-8';
  headers['Content-Length'] = String(Buffer.byteLength(text));
  res.writeHead(reply.status, headers);
  res.end(text);
}
