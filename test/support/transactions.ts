/** Helpers for transaction tests against a local relay. */
import { randomUUID } from 'node:crypto';
import type { LocalRelay } from '../../local/local-relay.ts';
import { authorization, call, type RelayAnswer } from './relay-client.ts';

export interface Register {
  readonly posRegisterId: string;
  readonly posBusinessName: string;
  readonly posVendorName: string;
}

/** Pairs a fresh register with a fresh simulated terminal, through the relay. */
export async function pairedRegister(relay: LocalRelay, vendor = 'TestPOS', headers: Record<string, string> = {}): Promise<Register> {
  const register = { posRegisterId: `reg-${randomUUID()}`, posBusinessName: 'Test Shop', posVendorName: vendor };
  const code = relay.simulator!.issuePairingCode();
  const answer = await call(`${relay.url}/pairing/${code}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...authorization(relay), ...headers },
    body: JSON.stringify({ ...register, posRegisterName: 'Till 1' }),
  });
  if (answer.status !== 200) throw new Error(`pairing failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  return register;
}

/** `idempotencyKey: null` sends no key at all. */
export function createTransaction(relay: LocalRelay, body: unknown, idempotencyKey: string | null = randomUUID(), headers: Record<string, string> = {}): Promise<RelayAnswer> {
  return call(`${relay.url}/transactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authorization(relay), ...(idempotencyKey === null ? {} : { 'idempotency-key': idempotencyKey }), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export const getTransaction = (relay: LocalRelay, id: string, headers: Record<string, string> = {}) =>
  call(`${relay.url}/transactions/${id}`, { headers: { ...authorization(relay), ...headers } });

export const listTransactions = (relay: LocalRelay, query: string, headers: Record<string, string> = {}) =>
  call(`${relay.url}/transactions?${query}`, { headers: { ...authorization(relay), ...headers } });

/** Polls the relay (not SmartConnect) until the transaction is final. */
export async function waitForFinal(relay: LocalRelay, id: string, timeoutMs = 10_000, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  const seen: string[] = [];
  for (;;) {
    const answer = await getTransaction(relay, id, headers);
    const status = String(answer.body.status);
    if (seen.at(-1) !== status) seen.push(status);
    if (status === 'COMPLETED' || status === 'UNKNOWN') return { ...answer.body, seenStatuses: seen };
    if (Date.now() > deadline) throw new Error(`transaction ${id} still ${status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const smartConnectPosts = (relay: LocalRelay) => relay.simulator!.requests.filter((r) => r.route === 'transaction');
export const smartConnectPolls = (relay: LocalRelay) => relay.simulator!.requests.filter((r) => r.route === 'poll');
