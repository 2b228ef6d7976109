/**
 * Issue 7 item 6: `kill -9` of `npm start` with transactions pending, then a restart on the same
 * state. Every record survives; replaying an Idempotency-Key returns the stored transaction and
 * sends nothing; the pending ones resume polling and reach a final state; the printed API key and
 * the pairings still work. `--fresh` starts from a clean slate.
 *
 * What reached the simulated terminal is read from the simulator's own state file (one record per
 * POST it accepted), since the simulator runs inside the killed process.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, jest, test } from '@jest/globals';
import { call, type RelayAnswer } from '../support/relay-client.ts';
import { issuePairingCode, killHard, startLocal, stop, type RunningLocalStart } from '../support/local-start.ts';

jest.setTimeout(180_000);

const stateDir = mkdtempSync(join(tmpdir(), 'relay-restart-'));
const runs: RunningLocalStart[] = [];
afterAll(async () => {
  for (const run of runs) await stop(run);
  rmSync(stateDir, { recursive: true, force: true });
});

const start = async (env: Record<string, string> = {}, args: string[] = []) => {
  const run = await startLocal({ PORT: '0', RELAY_STATE_DIR: stateDir, ...env }, args);
  runs.push(run);
  return run;
};

/** Transactions the simulated terminal has received (each accepted POST /Transaction). */
const terminalTransactions = (): Array<{ id: string }> =>
  (JSON.parse(readFileSync(join(stateDir, 'simulator.json'), 'utf8')) as { transactions: { transactions: Array<{ id: string }> } }).transactions.transactions;

const headers = (run: RunningLocalStart, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${run.apiKey}`, 'content-type': 'application/json', ...extra });

const sale = (register: string, amountTotal: number) => ({ transactionType: 'Card.Purchase', posRegisterId: register, posBusinessName: 'Toys Shop', posVendorName: 'LocalPOS', amountTotal });

const create = (run: RunningLocalStart, key: string, body: unknown): Promise<RelayAnswer> =>
  call(`${run.url}/transactions`, { method: 'POST', headers: headers(run, { 'idempotency-key': key }), body: JSON.stringify(body) });

async function waitForFinal(run: RunningLocalStart, id: string, timeoutMs: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await call(`${run.url}/transactions/${id}`, { headers: headers(run) });
    if (answer.status !== 200) throw new Error(`GET ${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
    if (answer.body.status === 'COMPLETED' || answer.body.status === 'UNKNOWN') return answer.body;
    if (Date.now() > deadline) throw new Error(`transaction ${id} still ${String(answer.body.status)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

test('kill -9 with six transactions pending, restart: nothing lost, replays send nothing, all reach a final state', async () => {
  const first = await start();
  const registers = Array.from({ length: 6 }, (_, i) => `till-${i + 1}`);
  const codes = [first.pairingCode, ...(await Promise.all(registers.slice(1).map(() => issuePairingCode(first.simulatorOrigin))))];
  for (const [i, register] of registers.entries()) {
    const paired = await call(`${first.url}/pairing/${codes[i]}`, {
      method: 'PUT',
      headers: headers(first),
      body: JSON.stringify({ posRegisterId: register, posBusinessName: 'Toys Shop', posVendorName: 'LocalPOS', posRegisterName: register }),
    });
    expect(paired.status).toBe(200);
  }

  // Half approve about 3 s after the POST, half report OK-DELAYED first (cents 56): all still
  // pending when the process dies right after the last create.
  const sales = registers.map((register, i) => ({ key: randomUUID(), body: sale(register, i % 2 === 0 ? 1250 : 1256) }));
  const created = await Promise.all(sales.map(({ key, body }) => create(first, key, body)));
  expect(created.map((c) => c.status)).toEqual(sales.map(() => 202));
  await killHard(first);
  const ids = created.map((c) => String(c.body.id));
  expect(terminalTransactions()).toHaveLength(6);

  const second = await start({ PORT: String(first.port) });
  expect(second.apiKey).toBe(first.apiKey);
  expect(second.simulatorOrigin).toBe(first.simulatorOrigin);
  expect(second.output()).toMatch(/resumed polling 6 open transaction/);

  // Every record is there, and a replay answers it without another POST to the terminal.
  for (const [i, { key, body }] of sales.entries()) {
    const replay = await create(second, key, body);
    expect({ status: replay.status, id: replay.body.id, replayed: replay.headers.get('idempotent-replayed') }).toEqual({ status: 200, id: ids[i], replayed: 'true' });
  }
  expect(terminalTransactions()).toHaveLength(6);

  // Nobody but the resumed poller asks SmartConnect: each transaction reaches its final state.
  const finals = await Promise.all(ids.map((id) => waitForFinal(second, id, 90_000)));
  expect(finals.map((f) => [f.status, f.outcome])).toEqual(ids.map(() => ['COMPLETED', 'APPROVED']));

  // Replays after completion: still the stored transaction, still nothing sent.
  const again = await Promise.all(sales.map(({ key, body }) => create(second, key, body)));
  expect(again.map((a) => [a.status, a.body.id, a.body.status])).toEqual(ids.map((id) => [200, id, 'COMPLETED']));
  expect(terminalTransactions()).toHaveLength(6);

  // The pairing survived too: a new sale on a kept register is sent once and approved.
  const next = await create(second, randomUUID(), sale('till-1', 990));
  expect(next.status).toBe(202);
  expect(terminalTransactions()).toHaveLength(7);
  expect(await waitForFinal(second, String(next.body.id), 60_000)).toMatchObject({ status: 'COMPLETED', outcome: 'APPROVED' });
  await stop(second);

  // --fresh: a clean slate, with a new key.
  const fresh = await start({}, ['--fresh']);
  expect(fresh.apiKey).not.toBe(first.apiKey);
  const gone = await call(`${fresh.url}/transactions/${ids[0]}`, { headers: headers(fresh) });
  expect(gone.status).toBe(404);
  expect(terminalTransactions()).toHaveLength(0);
  await stop(fresh);
});
