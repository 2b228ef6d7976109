/**
 * Test helpers: a tiny HTTPS client that trusts the test CA (global fetch cannot take one), a
 * fake clock, and a harness that starts a simulator and pairs a register.
 */
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { startSimulator } from '../../local/simulator/index.ts';
import type { Simulator, SimulatorOptions } from '../../local/simulator/index.ts';

const ca = readFileSync(new URL('../../local/certs/ca.pem', import.meta.url));

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One request on its own connection (no agent), so a fault on one cannot leak into the next. */
export function send(url: string, init: RequestInit = {}): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    // Node frames GET/DELETE/OPTIONS bodies only with an explicit Content-Length.
    const headers = init.body === undefined ? init.headers : { 'Content-Length': String(Buffer.byteLength(init.body)), ...init.headers };
    const req = request(url, { method: init.method ?? 'GET', headers, ca, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

export const formHeaders = { 'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8' };
export const encodeForm = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();

// Loose on purpose: tests read arbitrary keys and assert on their values.
export type Json = any;

export function json(res: HttpResponse): Json {
  expectJson(res);
  return JSON.parse(res.body);
}

function expectJson(res: HttpResponse): void {
  if (res.headers['content-type'] !== 'application/json; charset=utf-8') {
    throw new Error(`expected a JSON response, got ${res.status} ${String(res.headers['content-type'])}: ${res.body}`);
  }
}

export class FakeClock {
  t = Date.parse('2026-03-01T00:00:00.000Z');
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

export const register = { POSRegisterID: '7444ae07-dc63-e49c-33e3-59a7c108cc80', POSBusinessName: 'Toys Shop', POSVendorName: 'Till2Go' };

export interface Harness {
  sim: Simulator;
  clock: FakeClock;
  /** Pairs a register (default `register`) and returns its device id. */
  pair(triple?: Record<string, string>, deviceId?: string): Promise<string>;
  putPairing(code: string, fields: Record<string, string>): Promise<HttpResponse>;
  /** POST /Transaction with the register triple and ASYNC mode filled in. */
  post(fields: Record<string, string>, triple?: Record<string, string>): Promise<HttpResponse>;
  /** POST that must succeed; returns the parsed envelope. */
  start(fields: Record<string, string>, triple?: Record<string, string>): Promise<Json>;
  /** Moves the fake clock on (by the poll interval unless told), then polls. */
  poll(pollingUrl: string, advanceMs?: number): Promise<HttpResponse>;
  close(): Promise<void>;
}

export async function startHarness(options: SimulatorOptions = {}): Promise<Harness> {
  const clock = new FakeClock();
  const sim = await startSimulator({ now: clock.now, ...options });
  const putPairing = (code: string, fields: Record<string, string>): Promise<HttpResponse> =>
    send(`${sim.baseUrl}/Pairing/${encodeURIComponent(code)}`, { method: 'PUT', headers: formHeaders, body: encodeForm(fields) });
  const post = (fields: Record<string, string>, triple: Record<string, string> = register): Promise<HttpResponse> =>
    send(`${sim.baseUrl}/Transaction`, {
      method: 'POST',
      headers: formHeaders,
      body: encodeForm({ ...triple, TransactionMode: 'ASYNC', ...fields }),
    });
  return {
    sim,
    clock,
    putPairing,
    post,
    async pair(triple: Record<string, string> = register, deviceId) {
      const code = sim.issuePairingCode(deviceId === undefined ? {} : { deviceId });
      const res = await putPairing(code, { ...triple, POSRegisterName: 'Main Register' });
      if (res.status !== 200) throw new Error(`pairing failed: ${res.status} ${res.body}`);
      const paired = sim.pairings().find((p) => p.posRegisterId === triple.POSRegisterID && p.posBusinessName === triple.POSBusinessName && p.posVendorName === triple.POSVendorName);
      if (!paired) throw new Error('pairing not recorded');
      return paired.deviceId;
    },
    async start(fields, triple: Record<string, string> = register) {
      const res = await post(fields, triple);
      if (res.status !== 200) throw new Error(`POST /Transaction failed: ${res.status} ${res.body}`);
      return json(res);
    },
    poll(pollingUrl, advanceMs = 2_000) {
      clock.advance(advanceMs);
      return send(pollingUrl);
    },
    close: () => sim.close(),
  };
}
