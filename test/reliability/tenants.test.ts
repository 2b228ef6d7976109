/**
 * Issue 7, item 3: a posVendorName belongs to at most one tenant (SmartConnect knows a register
 * only by register id, business name and vendor name), so a second tenant can neither claim
 * another's vendor name, by any path, nor reach that tenant's registers or transactions.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileTenantStore, createMemoryTenantStore, type TenantStore } from '#tenants/tenant-store.ts';
import { startLocalRelay, type LocalRelay } from '../../local/local-relay.ts';
import { runTenantCli } from '../../scripts/tenant-cli.ts';
import { createTransaction, getTransaction, listTransactions, pairedRegister } from '../support/transactions.ts';
import { createFigures } from './support/figures.ts';

const figures = createFigures(import.meta.url);
let relay: LocalRelay;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reliability-tenants-'));
  relay = await startLocalRelay({ simulator: { deviceResponseMs: 300, minPollIntervalMs: 0 }, env: { POLL_INTERVAL_MS: '200', POWERTOOLS_LOG_LEVEL: 'SILENT' } });
}, 30_000);

afterAll(async () => {
  await relay?.close();
  await rm(dir, { recursive: true, force: true });
  figures.save();
});

const stores: [string, () => TenantStore][] = [
  ['memory store', () => createMemoryTenantStore()],
  ['file store', () => createFileTenantStore(join(dir, `tenants-${Math.random().toString(36).slice(2)}.json`))],
];

describe.each(stores)('%s', (_name, open) => {
  test('a vendor name already held by a tenant is refused to another, without naming the holder', async () => {
    const store = open();
    const { tenant: holder } = await store.createTenant({ name: 'Holder POS', posVendorNames: ['HeldPOS'] });
    for (const posVendorNames of [['HeldPOS'], ['FreshPOS', 'HeldPOS']]) {
      const attempt = store.createTenant({ name: 'Intruder POS', posVendorNames });
      await expect(attempt).rejects.toThrow(/HeldPOS/);
      await expect(attempt).rejects.not.toThrow(new RegExp(`${holder.tenantId}|Holder POS`));
    }
    expect((await store.listTenants()).filter((t) => t.posVendorNames.includes('HeldPOS')).map((t) => t.tenantId)).toEqual([holder.tenantId]);
  });

  test('ten tenants claiming one new vendor name at once: exactly one gets it', async () => {
    const store = open();
    const claims = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.createTenant({ name: `Racer ${i}`, posVendorNames: ['ContestedPOS'] })));
    expect(claims.filter((c) => c.status === 'fulfilled')).toHaveLength(1);
    expect((await store.listTenants()).filter((t) => t.posVendorNames.includes('ContestedPOS'))).toHaveLength(1);
  });

  test('tenant ids the relay uses itself cannot be created', async () => {
    const store = open();
    for (const tenantId of ['local', 'direct-invocation']) {
      await expect(store.createTenant({ name: 'Reserved', posVendorNames: [`Reserved-${tenantId}`], tenantId })).rejects.toThrow();
    }
  });
});

test('npm run tenant refuses a taken vendor name with a clear message naming no other tenant', async () => {
  const file = join(dir, 'cli-tenants.json');
  const run = async (args: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runTenantCli(['create', '--file', file, ...args], { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, env: {} });
    return { code, stdout, stderr };
  };
  const first = await run(['--name', 'First POS', '--vendor', 'CliPOS', '--id', 'first-pos']);
  expect(first.code).toBe(0);
  const second = await run(['--name', 'Second POS', '--vendor', 'CliPOS']);
  expect(second.code).not.toBe(0);
  expect(second.stderr).toMatch(/CliPOS/);
  expect(second.stderr).not.toMatch(/first-pos|First POS/);
  expect(second.stderr).not.toMatch(/\n\s+at /);
});

test("the local relay's tenant store refuses a second tenant for the relay's own vendor name", async () => {
  await expect(relay.addTenant(['TestPOS'])).rejects.toThrow();
});

test("another tenant cannot pair, charge, read or list on a tenant's register", async () => {
  const register = await pairedRegister(relay, 'TestPOS');
  const created = await createTransaction(relay, { transactionType: 'Card.Purchase', ...register, amountTotal: 1_000 });
  expect(created.status).toBe(202);
  const id = String(created.body.id);
  const other = { url: relay.url, apiKey: await relay.addTenant(['OtherPOS']), simulator: relay.simulator } as LocalRelay;
  const sentBefore = relay.simulator!.requests.filter((r) => r.route === 'transaction' || r.route === 'pairing').length;

  const answers = {
    pair: await pairedRegister(other, 'TestPOS').then(() => 200, (error: Error) => Number(/pairing failed: (\d+)/.exec(error.message)?.[1])),
    charge: (await createTransaction(other, { transactionType: 'Card.Purchase', ...register, amountTotal: 1_000 })).status,
    read: (await getTransaction(other, id)).status,
    list: (await listTransactions(other, `posRegisterId=${encodeURIComponent(register.posRegisterId)}`)).body.items,
  };
  figures.requests += 5;
  expect(answers).toEqual({ pair: 403, charge: 403, read: 404, list: [] });
  expect(relay.simulator!.requests.filter((r) => r.route === 'transaction' || r.route === 'pairing').length).toBe(sentBefore);
});
