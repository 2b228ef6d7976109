/**
 * Requests to a relay over loopback with node:http, which (unlike fetch) lets a test repeat a
 * header and choose any method, and a raw net.Socket exchange for bytes no client would send.
 */
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The parsed body, or undefined when it is not JSON. */
  readonly json: Record<string, unknown> | undefined;
}

export interface Outgoing {
  readonly method?: string;
  readonly path: string;
  /** Pairs, so a header can be sent twice. */
  readonly headers?: readonly (readonly [string, string])[];
  readonly body?: string;
}

/**
 * One connection per request: a reused keep-alive socket can meet the server's idle timeout and
 * hang up, which would look like the relay dropping a request.
 */
export function send(baseUrl: string, outgoing: Outgoing, timeoutMs = 30_000): Promise<Answer> {
  const url = new URL(baseUrl);
  // A raw header list gets no Host from node:http, and HTTP/1.1 servers refuse a request without one.
  const headers: string[] = outgoing.headers?.some(([name]) => name.toLowerCase() === 'host') ? [] : ['host', url.host];
  for (const [name, value] of outgoing.headers ?? []) headers.push(name, value);
  if (outgoing.body !== undefined) headers.push('content-length', String(Buffer.byteLength(outgoing.body)));
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method: outgoing.method ?? 'GET', path: outgoing.path, headers, agent: false, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parseJson(text) });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(outgoing.body);
  });
}

export function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export const isJsonType = (headers: IncomingHttpHeaders): boolean => /^application\/(problem\+)?json\b/.test(String(headers['content-type'] ?? ''));

export interface RawAnswer {
  /** Everything the server wrote before it closed the connection (or the timeout). */
  readonly raw: string;
  /** 0 when nothing parseable came back. */
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** Writes bytes as they are to a fresh connection and reads until the server closes it. */
export function rawExchange(port: number, bytes: string | Buffer, timeoutMs = 5_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseRaw(Buffer.concat(chunks).toString('latin1')));
    };
    const timer = setTimeout(finish, timeoutMs);
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('connect', () => socket.end(bytes));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // One answer is all we wait for: a complete body ends the exchange.
      if (parseRaw(Buffer.concat(chunks).toString('latin1')).complete) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
  });
}

function parseRaw(raw: string): RawAnswer & { complete: boolean } {
  const end = raw.indexOf('\r\n\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1] ?? 0);
  if (end < 0) return { raw, status: 0, contentType: '', body: '', complete: false };
  const head = raw.slice(0, end);
  if (status === 0) return { raw, status, contentType: '', body: '', complete: false };
  const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim() ?? '';
  let body = Buffer.from(raw.slice(end + 4), 'latin1');
  let complete = false;
  const length = header('content-length');
  if (length !== '') {
    complete = body.length >= Number(length);
    body = body.subarray(0, Number(length));
  } else if (/chunked/i.test(header('transfer-encoding'))) {
    const text = body.toString('latin1');
    complete = text.includes('\r\n0\r\n\r\n') || text.startsWith('0\r\n\r\n');
    body = Buffer.from(dechunk(text), 'latin1');
  }
  return { raw, status, contentType: header('content-type'), body: body.toString('utf8'), complete };
}

function dechunk(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const line = rest.indexOf('\r\n');
    if (line < 0) return out;
    const size = parseInt(rest.slice(0, line), 16);
    if (!size) return out;
    out += rest.slice(line + 2, line + 2 + size);
    rest = rest.slice(line + 2 + size + 2);
  }
}
