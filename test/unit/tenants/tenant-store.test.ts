import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { generateApiKey, verifyApiKey } from '#tenants/api-keys.ts';
import { tenantTableDefinition } from '#tenants/tenant-table.ts';
import {
  createDynamoTenantStore,
  createFileTenantStore,
  createMemoryTenantStore,
  ensureTenantForKey,
  TenantStoreError,
  type TenantStore,
} from '#tenants/tenant-store.ts';
import { startDynamoStandIn, type DynamoStandIn } from '../../../local/stand-ins/dynamodb.ts';

let dynamo: DynamoStandIn;
let client: DynamoDBClient;
let dir: string;
let tables = 0;
let files = 0;

beforeAll(async () => {
  dynamo = await startDynamoStandIn();
  client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  dir = await mkdtemp(join(tmpdir(), 'tenant-store-'));
});
afterAll(async () => {
  client.destroy();
  await dynamo.close();
  await rm(dir, { recursive: true, force: true });
});

interface Backend {
  /** A store over fresh, empty storage; `raw` dumps what is at rest. */
  fresh(): Promise<{ store: TenantStore; raw: () => Promise<string>; another: () => TenantStore }>;
}

const backends: [string, Backend][] = [
  [
    'DynamoDB (dynalite)',
    {
      async fresh() {
        const table = `tenants-${++tables}`;
        await client.send(new CreateTableCommand(tenantTableDefinition(table)));
        const db = DynamoDBDocumentClient.from(client);
        return {
          store: createDynamoTenantStore(db, table),
          another: () => createDynamoTenantStore(db, table),
          raw: async () => JSON.stringify((await client.send(new ScanCommand({ TableName: table }))).Items),
        };
      },
    },
  ],
  [
    'JSON file',
    {
      async fresh() {
        const file = join(dir, `tenants-${++files}`, 'tenants.json');
        return { store: createFileTenantStore(file), another: () => createFileTenantStore(file), raw: () => readFile(file, 'utf8') };
      },
    },
  ],
  [
    'memory',
    {
      async fresh() {
        const store = createMemoryTenantStore();
        return { store, another: () => store, raw: async () => JSON.stringify(await store.listTenants()) };
      },
    },
  ],
];

const acme = { name: 'Acme POS', posVendorNames: ['LocalPOS', 'AcmeTill'] };

async function refusal(promise: Promise<unknown>): Promise<TenantStoreError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TenantStoreError) return error;
    throw error;
  }
  throw new Error('expected a TenantStoreError');
}

describe.each(backends)('%s', (_name, backend) => {
  test('createTenant returns the key once; the store keeps only its hash', async () => {
    const { store, raw } = await backend.fresh();
    const { tenant, issued } = await store.createTenant({ ...acme, throttling: { rateLimit: 10, burstLimit: 20, dailyQuota: 10_000 } });

    expect(issued.apiKey).toMatch(/^scr_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/);
    expect(issued.apiKey.startsWith(`scr_${issued.keyId}_`)).toBe(true);
    expect(tenant).toMatchObject({ tenantId: issued.tenantId, name: 'Acme POS', posVendorNames: ['LocalPOS', 'AcmeTill'], throttling: { rateLimit: 10, burstLimit: 20, dailyQuota: 10_000 } });
    expect(tenant.keys).toEqual([expect.objectContaining({ keyId: issued.keyId, status: 'active' })]);

    const found = await store.findActiveKey(issued.keyId);
    expect(found?.tenant.tenantId).toBe(issued.tenantId);
    expect(found?.tenant.posVendorNames).toEqual(['LocalPOS', 'AcmeTill']);
    expect(verifyApiKey(issued.apiKey, found?.key.hash)).toBe(true);

    const atRest = await raw();
    expect(atRest).not.toContain(issued.apiKey);
    expect(atRest).not.toContain(issued.apiKey.slice(17));
  });

  test('listTenants shows tenants and key ids with status, never hashes', async () => {
    const { store } = await backend.fresh();
    const first = await store.createTenant(acme);
    const second = await store.createTenant({ name: 'Other POS', posVendorNames: ['Other'], tenantId: 'other-pos' });
    const found = await store.findActiveKey(first.issued.keyId);

    const listed = await store.listTenants();
    expect(listed.map((t) => t.tenantId).sort()).toEqual([first.issued.tenantId, 'other-pos'].sort());
    const text = JSON.stringify(listed);
    expect(text).not.toContain(found!.key.hash);
    expect(text).not.toContain('hash');
    expect(text).not.toContain(first.issued.apiKey.slice(17));
    expect(text).not.toContain(second.issued.apiKey.slice(17));
    expect(listed.find((t) => t.tenantId === 'other-pos')?.keys).toEqual([
      { keyId: second.issued.keyId, tenantId: 'other-pos', status: 'active', createdAt: expect.any(String) },
    ]);
  });

  test('rotateKey issues a second working key and refuses a third with a clear message', async () => {
    const { store } = await backend.fresh();
    const { issued: first } = await store.createTenant(acme);
    const second = await store.rotateKey(first.tenantId);

    expect(second.keyId).not.toBe(first.keyId);
    expect(second.tenantId).toBe(first.tenantId);
    expect(verifyApiKey(second.apiKey, (await store.findActiveKey(second.keyId))?.key.hash)).toBe(true);
    expect(await store.findActiveKey(first.keyId)).toBeDefined();

    const third = await refusal(store.rotateKey(first.tenantId));
    expect(third.code).toBe('too-many-active-keys');
    expect(third.message).toContain('already has 2 active keys');
    expect(third.message).toContain(first.keyId);
    expect(third.message).toMatch(/revoke/i);
    // The refused key left nothing behind.
    expect((await store.getTenant(first.tenantId))?.keys.map((k) => k.keyId).sort()).toEqual([first.keyId, second.keyId].sort());
  });

  test('concurrent rotations never make a third active key', async () => {
    const { store, another } = await backend.fresh();
    const { issued } = await store.createTenant(acme);
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => (i % 2 ? another() : store).rotateKey(issued.tenantId)));

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
      expect((r.reason as TenantStoreError).code).toBe('too-many-active-keys');
    }
    const tenant = await store.getTenant(issued.tenantId);
    expect(tenant?.keys.filter((k) => k.status === 'active')).toHaveLength(2);
    const active = await Promise.all(tenant!.keys.map((k) => store.findActiveKey(k.keyId)));
    expect(active.filter(Boolean)).toHaveLength(2);
  });

  test('revokeKey stops the key at once; the other key keeps working; rotate works again', async () => {
    const { store } = await backend.fresh();
    const { issued: old } = await store.createTenant(acme);
    const fresh = await store.rotateKey(old.tenantId);

    const revoked = await store.revokeKey(old.keyId);
    expect(revoked).toMatchObject({ alreadyRevoked: false, activeKeysLeft: 1, key: { keyId: old.keyId, tenantId: old.tenantId, status: 'revoked', revokedAt: expect.any(String) } });
    expect(await store.findActiveKey(old.keyId)).toBeUndefined();
    expect(await store.findActiveKey(fresh.keyId)).toBeDefined();

    const again = await store.revokeKey(old.keyId);
    expect(again.alreadyRevoked).toBe(true);
    expect(again.key.revokedAt).toBe(revoked.key.revokedAt);

    const next = await store.rotateKey(old.tenantId);
    expect(await store.findActiveKey(next.keyId)).toBeDefined();
    const statuses = Object.fromEntries((await store.getTenant(old.tenantId))!.keys.map((k) => [k.keyId, k.status]));
    expect(statuses).toEqual({ [old.keyId]: 'revoked', [fresh.keyId]: 'active', [next.keyId]: 'active' });
  });

  test('revoking the last key locks the tenant out until a rotate', async () => {
    const { store } = await backend.fresh();
    const { issued } = await store.createTenant(acme);
    expect((await store.revokeKey(issued.keyId)).activeKeysLeft).toBe(0);
    expect(await store.findActiveKey(issued.keyId)).toBeUndefined();
    const next = await store.rotateKey(issued.tenantId);
    expect(await store.findActiveKey(next.keyId)).toBeDefined();
    expect(await store.findActiveKey(issued.keyId)).toBeUndefined();
  });

  test('unknown tenants and keys are refused with what to do', async () => {
    const { store } = await backend.fresh();
    const noTenant = await refusal(store.rotateKey('nobody'));
    expect(noTenant.code).toBe('tenant-not-found');
    expect(noTenant.message).toMatch(/nobody/);
    expect((await refusal(store.revokeKey('abcdefghijkl'))).code).toBe('key-not-found');
    expect((await refusal(store.revokeKey('not a key id'))).code).toBe('key-not-found');
    expect(await store.findActiveKey('abcdefghijkl')).toBeUndefined();
    expect(await store.findActiveKey('../../etc')).toBeUndefined();
    expect(await store.getTenant('nobody')).toBeUndefined();
  });

  test('a duplicate tenant id is refused and leaves no stray key', async () => {
    const { store } = await backend.fresh();
    await store.createTenant({ ...acme, tenantId: 'acme' });
    const duplicate = await refusal(store.createTenant({ ...acme, tenantId: 'acme' }));
    expect(duplicate.code).toBe('tenant-exists');
    expect((await store.listTenants()).flatMap((t) => t.keys)).toHaveLength(1);
  });

  test('createTenant can adopt a given key (the local RELAY_API_KEY), once', async () => {
    const { store } = await backend.fresh();
    const { apiKey, keyId } = generateApiKey();
    const { issued } = await store.createTenant({ ...acme, tenantId: 'local', apiKey });
    expect(issued).toEqual({ tenantId: 'local', keyId, apiKey });
    expect(verifyApiKey(apiKey, (await store.findActiveKey(keyId))?.key.hash)).toBe(true);
    expect((await refusal(store.createTenant({ ...acme, tenantId: 'local-2', apiKey }))).code).toBe('key-exists');
    expect((await refusal(store.createTenant({ ...acme, tenantId: 'local-3', apiKey: 'scr_nope' }))).code).toBe('invalid-input');
    expect((await store.listTenants()).map((t) => t.tenantId)).toEqual(['local']);
  });

  test.each([
    ['a blank name', { name: '  ', posVendorNames: ['A'] }],
    ['no vendor names', { name: 'A', posVendorNames: [] }],
    ['a blank vendor name', { name: 'A', posVendorNames: ['ok', ' '] }],
    ['an overlong vendor name', { name: 'A', posVendorNames: ['v'.repeat(65)] }],
    ['a control character', { name: 'A\nB', posVendorNames: ['A'] }],
    ['a tenant id with #', { name: 'A', posVendorNames: ['A'], tenantId: 'a#b' }],
    ['an upper-case tenant id', { name: 'A', posVendorNames: ['A'], tenantId: 'Acme' }],
    ['a zero rate', { name: 'A', posVendorNames: ['A'], throttling: { rateLimit: 0 } }],
    ['a fractional burst', { name: 'A', posVendorNames: ['A'], throttling: { burstLimit: 1.5 } }],
    ['a negative quota', { name: 'A', posVendorNames: ['A'], throttling: { dailyQuota: -1 } }],
  ])('refuses %s as invalid input, writing nothing', async (_label, input) => {
    const { store } = await backend.fresh();
    expect((await refusal(store.createTenant(input))).code).toBe('invalid-input');
    expect(await store.listTenants()).toEqual([]);
  });

  test('vendor names are trimmed and de-duplicated', async () => {
    const { store } = await backend.fresh();
    const { tenant } = await store.createTenant({ name: ' Acme ', posVendorNames: ['A', ' A', 'B'] });
    expect(tenant).toMatchObject({ name: 'Acme', posVendorNames: ['A', 'B'] });
  });

  test('a usage-plan binding reaches the authorizer and shows only its plan id in listings', async () => {
    const { store } = await backend.fresh();
    const { issued } = await store.createTenant(acme);
    const binding = { usagePlanId: 'plan-1', apiKeyId: 'apikey-1', apiKeyValue: 'usage-identifier-value-0123456789' };
    await store.setUsagePlan(issued.tenantId, binding);
    expect((await store.findActiveKey(issued.keyId))?.tenant.usagePlan).toEqual(binding);
    const listed = JSON.stringify(await store.listTenants());
    expect(listed).toContain('plan-1');
    expect(listed).not.toContain(binding.apiKeyValue);
    await store.setUsagePlan(issued.tenantId, undefined);
    expect((await store.findActiveKey(issued.keyId))?.tenant.usagePlan).toBeUndefined();
    expect((await refusal(store.setUsagePlan('nobody', binding))).code).toBe('tenant-not-found');
  });
});

describe('ensureTenantForKey (npm start with RELAY_API_KEY)', () => {
  test('creates local-<keyId> once, then finds it; a revoked key is not revived; a forged key id is refused', async () => {
    const file = join(dir, 'local-start', 'tenants.json');
    const { apiKey, keyId } = generateApiKey();
    const first = await ensureTenantForKey(createFileTenantStore(file), { apiKey, posVendorNames: ['LocalPOS'] });
    expect(first).toEqual({ tenantId: `local-${keyId}`, keyId, posVendorNames: ['LocalPOS'], created: true });

    // The next start (another process, another vendor name configured) finds the same tenant.
    const store = createFileTenantStore(file);
    expect(await ensureTenantForKey(store, { apiKey, posVendorNames: ['Other'] })).toEqual({ ...first, created: false });
    expect(await store.listTenants()).toHaveLength(1);

    const forged = generateApiKey(keyId).apiKey;
    expect((await refusal(ensureTenantForKey(store, { apiKey: forged, posVendorNames: ['LocalPOS'] }))).code).toBe('key-exists');

    await store.revokeKey(keyId);
    expect((await refusal(ensureTenantForKey(store, { apiKey, posVendorNames: ['LocalPOS'] }))).code).toBe('key-exists');
    expect(await store.findActiveKey(keyId)).toBeUndefined();
    expect((await refusal(ensureTenantForKey(store, { apiKey: 'not-a-key', posVendorNames: ['LocalPOS'] }))).code).toBe('invalid-input');
  });
});

describe('JSON file store', () => {
  test('two stores on one file (the CLI and a running local server) see each other at once', async () => {
    const file = join(dir, 'shared', 'tenants.json');
    const cli = createFileTenantStore(file);
    const server = createFileTenantStore(file);
    const { issued } = await cli.createTenant(acme);
    expect(await server.findActiveKey(issued.keyId)).toBeDefined();
    await cli.revokeKey(issued.keyId);
    expect(await server.findActiveKey(issued.keyId)).toBeUndefined();
  });

  test('refuses to read, and never overwrites, a file that is not a tenant store', async () => {
    const file = join(dir, 'corrupt.json');
    await writeFile(file, '{"tenants": oops');
    const store = createFileTenantStore(file);
    expect((await refusal(store.listTenants())).code).toBe('store-unreadable');
    expect((await refusal(store.createTenant(acme))).code).toBe('store-unreadable');
    expect(await readFile(file, 'utf8')).toBe('{"tenants": oops');
  });

  test('waits for a held lock, and breaks one left by a crashed process', async () => {
    const file = join(dir, 'locked', 'tenants.json');
    const store = createFileTenantStore(file, { lockTimeoutMs: 300 });
    await store.createTenant(acme);
    await writeFile(`${file}.lock`, '');
    expect(String(await store.createTenant(acme).catch((e: Error) => e.message))).toMatch(/held by another process/);
    const old = new Date(Date.now() - 60_000);
    await utimes(`${file}.lock`, old, old);
    await store.createTenant({ ...acme, tenantId: 'after-stale-lock' });
    expect((await store.listTenants()).map((t) => t.tenantId)).toContain('after-stale-lock');
  });
});
