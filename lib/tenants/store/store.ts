/**
 * The tenant store's logic, written once over the primitive record operations every backend
 * provides (`TenantRecords`: dynamodb.ts, document.ts), each atomic on its own (a conditional write
 * in DynamoDB, a locked read-modify-write of the file), because the local DynamoDB stand-in has no
 * transactions API. The invariants survive any interleaving or crash:
 * - a key works only while its id is in its tenant's `activeKeyIds`, and the conditional add to that
 *   set (`size < 2`) is the single write that admits a key, so a third active key cannot appear even
 *   when two rotations race;
 * - a key item is written (conditionally, so keyIds never collide) *before* its id is admitted to the
 *   set, and revocation removes it from the set first: a crash in between leaves at worst an unused
 *   key item, never a usable key that should not be;
 * - a tenant lists a posVendorName only after its conditional claim on the name succeeded, so no two
 *   tenants hold one name (vendor-claims.ts).
 */
import { generateApiKey, hashApiKey, isKeyId, parseApiKey } from '../api-keys.ts';
import { tenantTable } from '../tenant-table.ts';
import { claimVendorNames, findVendorOverlaps, releaseVendorClaims, vendorKey, vendorTaken } from './vendor-claims.ts';
import { generateTenantId, isReservedTenantId, maxVendorNames, validateNewTenant, validateVendorName } from './validation.ts';
import {
  TenantStoreError,
  type IssuedKey,
  type KeyRecord,
  type KeyStatus,
  type KeySummary,
  type TenantRecord,
  type TenantRecords,
  type TenantStore,
  type TenantStoreOptions,
  type TenantSummary,
} from './types.ts';

export function createTenantStore(records: TenantRecords, options: TenantStoreOptions = {}): TenantStore {
  const clock = () => options.now?.() ?? new Date();
  const now = () => clock().toISOString();
  const { maxActiveKeys } = tenantTable;

  /** Writes a new key item; a generated keyId that collides (2^-60) is simply drawn again. */
  const insertNewKey = async (tenantId: string, createdAt: string, adopted?: string): Promise<IssuedKey> => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const issued = adopted === undefined ? generateApiKey() : adoptKey(adopted);
      if (await records.insertKey({ keyId: issued.keyId, tenantId, hash: issued.hash, createdAt })) {
        return { tenantId, keyId: issued.keyId, apiKey: issued.apiKey };
      }
      if (adopted !== undefined) throw new TenantStoreError('key-exists', `A key with id ${issued.keyId} already exists; choose another key.`);
    }
    throw new Error('could not draw an unused keyId in 5 attempts');
  };

  const tooMany = (tenantId: string, active: readonly string[]) =>
    new TenantStoreError(
      'too-many-active-keys',
      `Tenant ${tenantId} already has ${maxActiveKeys} active keys (${active.join(', ')}). ` +
        `Revoke the old one once the POS platform uses the new one (revoke --key <keyId>), then rotate again.`,
    );

  const notFound = (tenantId: string) => new TenantStoreError('tenant-not-found', `No tenant ${tenantId}. List the tenants to find its id.`);

  const getTenant = async (tenantId: string): Promise<TenantSummary | undefined> => {
    const { tenants, keys } = await records.scan();
    const tenant = tenants.find((t) => t.tenantId === tenantId);
    return tenant && summarise(tenant, keys);
  };

  return {
    async createTenant(input) {
      const valid = validateNewTenant(input);
      const tenantId = valid.tenantId ?? generateTenantId();
      if (isReservedTenantId(tenantId) && input.ownedByRelay !== true) {
        throw new TenantStoreError('reserved-tenant-id', `Tenant id ${tenantId} is kept for the relay itself (local, local-…, direct-invocation); choose another id.`);
      }
      const createdAt = now();
      const issued = await insertNewKey(tenantId, createdAt, input.apiKey);
      // Names first: the tenant record never lists a name it does not hold.
      const claims = await claimVendorNames(records, tenantId, valid.posVendorNames, clock);
      if (!claims.ok) {
        await records.deleteKey(issued.keyId);
        throw vendorTaken(claims.taken);
      }
      const tenant: TenantRecord = {
        tenantId,
        name: valid.name,
        posVendorNames: valid.posVendorNames,
        ...(valid.throttling ? { throttling: valid.throttling } : {}),
        createdAt,
        activeKeyIds: [issued.keyId],
      };
      if (!(await records.insertTenant(tenant))) {
        await releaseVendorClaims(records, claims.claimed);
        await records.deleteKey(issued.keyId);
        throw new TenantStoreError('tenant-exists', `A tenant with id ${tenantId} already exists; choose another id or rotate its key instead.`);
      }
      const key: KeySummary = { keyId: issued.keyId, tenantId, status: 'active', createdAt: tenant.createdAt };
      return { tenant: { ...publicTenant(tenant), keys: [key] }, issued };
    },

    async listTenants() {
      const { tenants, keys } = await records.scan();
      return tenants.sort(byCreation).map((tenant) => summarise(tenant, keys));
    },

    getTenant,

    async rotateKey(tenantId) {
      const tenant = await records.getTenant(tenantId);
      if (!tenant) throw notFound(tenantId);
      // Checked again by the conditional admit below; this only avoids writing a key for nothing.
      if (tenant.activeKeyIds.length >= maxActiveKeys) throw tooMany(tenantId, tenant.activeKeyIds);
      const issued = await insertNewKey(tenantId, now());
      const admitted = await records.activateKey(tenantId, issued.keyId, maxActiveKeys);
      if (admitted === 'activated') return issued;
      await records.deleteKey(issued.keyId);
      if (admitted === 'no-tenant') throw notFound(tenantId);
      throw tooMany(tenantId, (await records.getTenant(tenantId))?.activeKeyIds ?? []);
    },

    async revokeKey(keyId) {
      const key = isKeyId(keyId) ? await records.getKey(keyId) : undefined;
      if (!key) throw new TenantStoreError('key-not-found', `No key ${keyId}. List the tenants to see their key ids.`);
      // Out of the active set first: from this write on, the key no longer authorizes.
      await records.deactivateKey(key.tenantId, keyId);
      const revoked = await records.markKeyRevoked(keyId, now());
      const after = await records.getKey(keyId);
      const tenant = await records.getTenant(key.tenantId);
      return {
        key: keySummary(after ?? key, tenant),
        alreadyRevoked: !revoked,
        activeKeysLeft: tenant?.activeKeyIds.length ?? 0,
      };
    },

    async findActiveKey(keyId) {
      if (!isKeyId(keyId)) return undefined;
      const key = await records.getKey(keyId);
      if (!key || key.revokedAt !== undefined) return undefined;
      const tenant = await records.getTenant(key.tenantId);
      if (!tenant || !tenant.activeKeyIds.includes(keyId)) return undefined;
      return { key, tenant };
    },

    async setUsagePlan(tenantId, binding) {
      if (!(await records.setUsagePlan(tenantId, binding))) throw notFound(tenantId);
    },

    async addVendorName(tenantId, posVendorName) {
      const name = validateVendorName(posVendorName);
      const tenant = await records.getTenant(tenantId);
      if (!tenant) throw notFound(tenantId);
      if (tenant.posVendorNames.includes(name)) return { tenant: (await getTenant(tenantId))!, added: false };
      if (tenant.posVendorNames.length >= maxVendorNames) throw new TenantStoreError('invalid-input', `Tenant ${tenantId} already has ${maxVendorNames} posVendorNames, the most allowed.`);
      const claims = await claimVendorNames(records, tenantId, [name], clock);
      if (!claims.ok) throw vendorTaken(claims.taken);
      const appended = await records.appendVendorName(tenantId, name);
      if (appended === 'no-tenant') {
        await releaseVendorClaims(records, claims.claimed);
        throw notFound(tenantId);
      }
      return { tenant: (await getTenant(tenantId))!, added: appended === 'added' };
    },

    async holdVendorNames(reservedOwner, posVendorNames) {
      if (!isReservedTenantId(reservedOwner)) throw new Error(`${reservedOwner} is not a reserved tenant id`);
      const claims = await claimVendorNames(records, reservedOwner, posVendorNames.map(validateVendorName), clock);
      if (!claims.ok) throw vendorTaken(claims.taken);
    },

    async releaseVendorNames(reservedOwner, posVendorNames) {
      const { claims } = await records.scan();
      const keys = new Set(posVendorNames.map(vendorKey));
      await releaseVendorClaims(records, claims.filter((c) => c.tenantId === reservedOwner && keys.has(c.vendorKey)));
    },

    async vendorOverlaps() {
      const { tenants, claims } = await records.scan();
      return findVendorOverlaps(tenants, claims);
    },
  };
}

/** The key in `apiKey`, adopted as given (parsed strictly: malformed keys are refused). */
function adoptKey(apiKey: string) {
  const parsed = parseApiKey(apiKey);
  if (!parsed) throw new TenantStoreError('invalid-input', 'The API key is not a relay key (expected scr_<12 characters>_<43 characters>).');
  return { apiKey, keyId: parsed.keyId, hash: hashApiKey(apiKey) };
}

const byCreation = (a: { createdAt: string }, b: { createdAt: string }) => a.createdAt.localeCompare(b.createdAt);

function keySummary(key: KeyRecord, tenant: TenantRecord | undefined): KeySummary {
  const status: KeyStatus = key.revokedAt !== undefined ? 'revoked' : tenant?.activeKeyIds.includes(key.keyId) ? 'active' : 'inactive';
  return { keyId: key.keyId, tenantId: key.tenantId, status, createdAt: key.createdAt, ...(key.revokedAt === undefined ? {} : { revokedAt: key.revokedAt }) };
}

function publicTenant(tenant: TenantRecord): Omit<TenantSummary, 'keys'> {
  return {
    tenantId: tenant.tenantId,
    name: tenant.name,
    posVendorNames: [...tenant.posVendorNames],
    ...(tenant.throttling ? { throttling: { ...tenant.throttling } } : {}),
    ...(tenant.usagePlan ? { usagePlanId: tenant.usagePlan.usagePlanId } : {}),
    createdAt: tenant.createdAt,
  };
}

function summarise(tenant: TenantRecord, keys: readonly KeyRecord[]): TenantSummary {
  return {
    ...publicTenant(tenant),
    keys: keys
      .filter((key) => key.tenantId === tenant.tenantId)
      .sort(byCreation)
      .map((key) => keySummary(key, tenant)),
  };
}

