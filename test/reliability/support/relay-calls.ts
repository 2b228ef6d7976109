/** The relay's API as a POS calls it, over support/http.ts, for any relay (spawned or in-process). */
import { randomUUID } from 'node:crypto';
import type { Simulator } from '../../../local/simulator/index.ts';
import { send, type Answer } from './http.ts';

export interface Relay {
  readonly url: string;
  readonly apiKey: string;
}

export interface Register {
  readonly posRegisterId: string;
  readonly posBusinessName: string;
  readonly posVendorName: string;
}

const json = (relay: Relay, extra: readonly (readonly [string, string])[] = []) =>
  [['authorization', `Bearer ${relay.apiKey}`], ['content-type', 'application/json'], ...extra] as const;

export function newRegister(vendor = 'LocalPOS'): Register {
  return { posRegisterId: `reg-${randomUUID()}`, posBusinessName: 'Reliability Shop', posVendorName: vendor };
}

export async function pair(relay: Relay, code: string, register: Register): Promise<Answer> {
  return send(relay.url, {
    method: 'PUT',
    path: `/pairing/${code}`,
    headers: json(relay),
    body: JSON.stringify({ ...register, posRegisterName: 'Till' }),
  });
}

/** Pairs a fresh register with a fresh simulated terminal; throws unless SmartConnect agreed. */
export async function pairedRegister(relay: Relay, simulator: Simulator, vendor = 'LocalPOS'): Promise<Register> {
  const register = newRegister(vendor);
  const answer = await pair(relay, simulator.issuePairingCode(), register);
  if (answer.status !== 200) throw new Error(`pairing failed: ${answer.status} ${answer.text}`);
  return register;
}

export const purchase = (register: Register, amountTotal = 1_000) => ({ transactionType: 'Card.Purchase', ...register, amountTotal });

export function create(relay: Relay, body: unknown, idempotencyKey: string = randomUUID()): Promise<Answer> {
  return send(relay.url, { method: 'POST', path: '/transactions', headers: json(relay, [['idempotency-key', idempotencyKey]]), body: JSON.stringify(body) });
}

export function read(relay: Relay, id: string): Promise<Answer> {
  return send(relay.url, { path: `/transactions/${encodeURIComponent(id)}`, headers: [['authorization', `Bearer ${relay.apiKey}`]] });
}

/** The transaction an answer carries: the resource itself, or `transaction` of an outcome-unknown problem. */
export function transactionId(answer: Answer): string | undefined {
  const body = answer.json;
  if (typeof body?.id === 'string') return body.id;
  const nested = body?.transaction as Record<string, unknown> | undefined;
  return typeof nested?.id === 'string' ? nested.id : undefined;
}

export const isFinal = (status: unknown) => status === 'COMPLETED' || status === 'UNKNOWN';

/** Follows a transaction through the relay until it is final; returns its last state. */
export async function waitForFinal(relay: Relay, id: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await read(relay, id);
    if (answer.status === 200 && isFinal(answer.json?.status)) return answer.json!;
    if (Date.now() > deadline) throw new Error(`transaction ${id} not final after ${timeoutMs} ms: ${answer.status} ${answer.text.slice(0, 300)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** SmartConnect POST /Transaction requests the simulator received for one register. */
export const postsFor = (simulator: Simulator, register: Pick<Register, 'posRegisterId'>) =>
  simulator.requests.filter((r) => r.route === 'transaction' && r.form.POSRegisterID === register.posRegisterId);
