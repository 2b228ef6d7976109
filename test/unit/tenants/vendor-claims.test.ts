import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tenantTableDefinition } from '#tenants/tenant-table.ts';
import {
  createTenantStore,
  dynamoTenantRecords,
  ensureTenantForKey,
  fileTenantRecords,
  memoryTenantRecords,
  TenantStoreError,
  vendorKey,
  type TenantRecords,
  type TenantStore,
} from '#tenants/tenant-store.ts';
import { generateApiKey } from '#tenants/api-keys.ts';
import { startDynamoStandIn, type DynamoStandIn } from '../../../local/stand-ins/dynamodb.ts';

// A posVendorName belongs to at most one tenant, on every backend and every path that adds one.
let dynamo: DynamoStandIn;
let client: DynamoDBClient;
let dir: string;
let tables = 0;

beforeAll(async () => {
  dynamo = await startDynamoStandIn();
  client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  dir = await mkdtemp(join(tmpdir(), 'vendor-claims-'));
});
afterAll(async () => {
  client.destroy();
  await dynamo.close();
  await rm(dir, { recursive: true, force: true });
});

type Fresh = () => Promise<{ records: TenantRecords; stores: () => TenantStore }>;
const backends: [string, Fresh][] = [
  [
    'DynamoDB (dynalite)',
    async () => {
      const table = `claims-${++tables}`;
      await client.send(new CreateTableCommand(tenantTableDefinition(table)));
      const db = DynamoDBDocumentClient.from(client);
      return { records: dynamoTenantRecords(db, table), stores: () => createTenantStore(dynamoTenantRecords(db, table)) };
    },
  ],
  [
    'JSON file',
    async () => {
      const file = join(dir, `t-${++tables}`, 'tenants.json');
      return { records: fileTenantRecords(file), stores: () => createTenantStore(fileTenantRecords(file, { lockTimeoutMs: 20_000 })) };
    },
  ],
  [
    'memory',
    async () => {
      const records = memoryTenantRecords();
      const store = createTenantStore(records);
      return { records, stores: () => store };
    },
  ],
];

async function refusal(promise: Promise<unknown>): Promise<TenantStoreError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TenantStoreError) return error;
    throw error;
  }
  throw new Error('expected a TenantStoreError');
}

test('vendorKey compares names ignoring case, Unicode width and invisible characters', () => {
  const same = ['LocalPOS', 'localpos', 'LOCALPOS', 'ＬｏｃａｌＰＯＳ', 'Local\u200BPOS', 'Local\u00ADPOS'];
  expect(new Set(same.map(vendorKey))).toEqual(new Set(['localpos']));
  expect(vendorKey('Straße')).toBe(vendorKey('STRASSE'));
  expect(vendorKey('ΟΔΟΣ')).toBe(vendorKey('οδος'));
  expect(vendorKey('Acme')).not.toBe(vendorKey('Acme2'));
});

describe.each(backends)('%s', (_name, fresh) => {
  test('a second tenant cannot take a name another holds, in any spelling; the refusal names no tenant and writes nothing', async () => {
    const { stores } = await fresh();
    const store = stores();
    const first = await store.createTenant({ name: 'First', posVendorNames: ['LocalPOS'], tenantId: 'first-tenant' });
    for (const name of ['LocalPOS', 'localpos', 'ＬｏｃａｌＰＯＳ', 'Local\u200BPOS']) {
      const error = await refusal(store.createTenant({ name: 'Second', posVendorNames: ['Other', name], tenantId: 'second-tenant' }));
      expect(error.code).toBe('vendor-taken');
      expect(error.message).not.toContain(first.tenant.tenantId);
      expect(error.message).not.toContain('First');
    }
    // Nothing left behind: no second tenant, no stray key, and its other name is free again.
    expect((await store.listTenants()).map((t) => t.tenantId)).toEqual(['first-tenant']);
    expect((await store.listTenants()).flatMap((t) => t.keys)).toHaveLength(1);
    await store.createTenant({ name: 'Third', posVendorNames: ['Other'] });
  });

  test('concurrent creates with one name: exactly one wins', async () => {
    const { stores } = await fresh();
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => stores().createTenant({ name: `T${i}`, posVendorNames: [i % 2 ? 'RaceP0S' : 'racep0s'] })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as TenantStoreError).code).toBe('vendor-taken');
    expect(await stores().listTenants()).toHaveLength(1);
  }, 30_000);

  test('addVendorName adds a free name once, refuses a taken one, and keeps a name a failed create released', async () => {
    const { stores } = await fresh();
    const store = stores();
    const a = (await store.createTenant({ name: 'A', posVendorNames: ['APos'] })).tenant.tenantId;
    const b = (await store.createTenant({ name: 'B', posVendorNames: ['BPos'] })).tenant.tenantId;
    expect((await store.addVendorName(a, 'ATill')).tenant.posVendorNames).toEqual(['APos', 'ATill']);
    expect((await store.addVendorName(a, 'ATill')).added).toBe(false);
    expect((await refusal(store.addVendorName(b, 'atill'))).code).toBe('vendor-taken');
    expect((await refusal(store.addVendorName(b, 'APOS'))).code).toBe('vendor-taken');
    expect((await refusal(store.addVendorName('nobody', 'Free'))).code).toBe('tenant-not-found');
    expect((await store.getTenant(b))!.posVendorNames).toEqual(['BPos']);
    const racing = await Promise.allSettled([stores().addVendorName(a, 'Contested'), stores().addVendorName(b, 'CONTESTED')]);
    expect(racing.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const holders = (await store.listTenants()).filter((t) => t.posVendorNames.some((n) => vendorKey(n) === 'contested'));
    expect(holders).toHaveLength(1);
  }, 30_000);

  test('reserved tenant ids cannot be created', async () => {
    const { stores } = await fresh();
    for (const tenantId of ['local', 'local-abc', 'direct-invocation']) {
      expect((await refusal(stores().createTenant({ name: 'X', posVendorNames: [`V-${tenantId}`], tenantId }))).code).toBe('reserved-tenant-id');
    }
    expect(await stores().listTenants()).toEqual([]);
    // npm start's own tenant may use local-<keyId>.
    const { apiKey } = generateApiKey();
    expect((await ensureTenantForKey(stores(), { apiKey, posVendorNames: ['LocalPOS'] })).tenantId).toMatch(/^local-/);
  });

  test('a claim left by a crashed create is taken over once stale; a fresh one, or one of a reserved owner, is not', async () => {
    const { records, stores } = await fresh();
    const old = new Date(Date.now() - 5 * 60_000).toISOString();
    await records.insertVendorClaim({ vendorKey: 'ghostpos', posVendorName: 'GhostPOS', tenantId: 'tnt_crashed', claimedAt: old });
    await records.insertVendorClaim({ vendorKey: 'freshpos', posVendorName: 'FreshPOS', tenantId: 'tnt_creating', claimedAt: new Date().toISOString() });
    await records.insertVendorClaim({ vendorKey: 'localpos', posVendorName: 'LocalPOS', tenantId: 'local', claimedAt: old });
    expect((await stores().createTenant({ name: 'G', posVendorNames: ['GhostPOS'] })).tenant.posVendorNames).toEqual(['GhostPOS']);
    expect((await refusal(stores().createTenant({ name: 'F', posVendorNames: ['FreshPOS'] }))).code).toBe('vendor-taken');
    expect((await refusal(stores().createTenant({ name: 'L', posVendorNames: ['LocalPOS'] }))).code).toBe('vendor-taken');
  });

  test('tenants that list one name from before claims existed are reported as overlaps, and block new holders', async () => {
    const { records, stores } = await fresh();
    const legacy = (tenantId: string) => records.insertTenant({ tenantId, name: tenantId, posVendorNames: ['SharedPOS'], createdAt: new Date().toISOString(), activeKeyIds: [] });
    await legacy('legacy-a');
    await legacy('legacy-b');
    expect(await stores().vendorOverlaps()).toEqual([{ vendorKey: 'sharedpos', tenantIds: ['legacy-a', 'legacy-b'] }]);
    expect((await refusal(stores().createTenant({ name: 'C', posVendorNames: ['sharedPOS'] }))).code).toBe('vendor-taken');
  });
});
