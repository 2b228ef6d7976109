import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { json, register, send, startHarness } from './helpers.ts';
import type { Harness, Json } from './helpers.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  await h.pair(register, '7070714000');
});
afterEach(() => h.close());

const screen = (path: string, body?: unknown) =>
  send(`${h.sim.origin}/_device${path}`, body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const state = async (): Promise<Json> => json(await screen('/state'));

describe('62 cents: the terminal waits for a person on the virtual terminal page', () => {
  test.each([
    ['approved', 'OK-ACCEPTED', 'OK'],
    ['declined', 'OK-DECLINED', 'OK'],
    ['cancelled', 'CANCELLED', 'CANCELLED'],
    ['offline', 'CANCELLED', 'FAILED-INTERFACE'],
  ])('%s on the page → %s / %s', async (verdict, transactionResult, result) => {
    const started = await h.start({ TransactionType: 'Card.Purchase', AmountTotal: '1262' });
    // Long after the scripted terminals answer, it still waits.
    expect(json(await h.poll(started.data.PollingUrl, 60_000)).transactionStatus).toBe('PENDING');
    const [shown] = (await state()).transactions;
    expect(shown).toMatchObject({ id: started.transactionId, status: 'PENDING', waitingForPerson: true, amount: '1262', posRegisterId: register.POSRegisterID });
    // A busy terminal: a second sale on it is refused while a person decides.
    expect((await h.post({ TransactionType: 'Card.Purchase', AmountTotal: '100' })).status).toBe(429);

    expect((await screen(`/transactions/${started.transactionId}/decision`, { verdict })).status).toBe(200);
    const done = json(await h.poll(started.data.PollingUrl));
    expect(done.transactionStatus).toBe('COMPLETED');
    expect(done.data).toMatchObject({ TransactionResult: transactionResult, Result: result });
    expect((await state()).transactions[0]).toMatchObject({ status: 'COMPLETED', waitingForPerson: false, transactionResult });
    // Decided once: a second press changes nothing.
    expect((await screen(`/transactions/${started.transactionId}/decision`, { verdict: 'approved' })).status).toBe(409);
  });

  test('other amounts keep their scripted outcome and cannot be decided on the page', async () => {
    const started = await h.start({ TransactionType: 'Card.Purchase', AmountTotal: '1251' });
    expect((await screen(`/transactions/${started.transactionId}/decision`, { verdict: 'approved' })).status).toBe(409);
    expect(json(await h.poll(started.data.PollingUrl, 3_000)).data.TransactionResult).toBe('OK-DECLINED');
  });

  test('an unknown verdict or transaction is refused', async () => {
    const started = await h.start({ TransactionType: 'Card.Purchase', AmountTotal: '1262' });
    expect((await screen(`/transactions/${started.transactionId}/decision`, { verdict: 'maybe' })).status).toBe(400);
    expect((await screen('/transactions/00000000-0000-4000-8000-000000000000/decision', { verdict: 'approved' })).status).toBe(404);
  });
});

describe('the page and its state', () => {
  test('serves a self-contained page: no script, style or font from elsewhere', async () => {
    const page = await screen('');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('Virtual terminal');
    expect(page.body).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
  });

  test('shows live pairing codes newest first, paired registers without contact fields, and never a polling token', async () => {
    const code = h.sim.issuePairingCode();
    const started = await h.start({ TransactionType: 'Card.Purchase', AmountTotal: '500' });
    const shown = await state();
    expect(shown.pairingCodes[0]).toMatchObject({ pairingCode: code });
    expect(shown.pairings).toEqual([{ posRegisterId: register.POSRegisterID, posBusinessName: 'Toys Shop', posVendorName: 'Till2Go', posRegisterName: expect.any(String), deviceId: '7070714000' }]);
    const text = JSON.stringify(shown);
    expect(text).not.toContain(started.merchantAccessToken);
    expect(text).not.toContain('PollingUrl');
  });

  test('a new code from the page is the one shown; screen requests are not recorded as SmartConnect traffic', async () => {
    h.sim.clearRequests();
    const issued = json(await screen('/pairing-codes', {}));
    expect((await state()).pairingCodes[0].pairingCode).toBe(issued.pairingCode);
    expect(h.sim.requests.map((r) => r.path)).toEqual(['/_device/pairing-codes']);
  });
});

test('a verdict pressed on the page is in the state file at once, before any poll (npm start survives a kill)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'device-console-state-'));
  const stateFile = join(dir, 'simulator.json');
  const kept = await startHarness({ stateFile });
  try {
    await kept.pair(register, '7070714000');
    const started = await kept.start({ TransactionType: 'Card.Purchase', AmountTotal: '1262' });
    const press = await send(`${kept.sim.origin}/_device/transactions/${started.transactionId}/decision`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ verdict: 'declined' }),
    });
    expect(press.status).toBe(200);
    const saved = JSON.parse(await readFile(stateFile, 'utf8')) as { transactions: { transactions: { id: string; decision?: { kind: string } }[] } };
    expect(saved.transactions.transactions.find((tx) => tx.id === started.transactionId)?.decision?.kind).toBe('declined');
  } finally {
    await kept.close();
    await rm(dir, { recursive: true, force: true });
  }
});
