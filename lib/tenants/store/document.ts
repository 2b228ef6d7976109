/**
 * The tenant records as one JSON document, for the backends that keep everything in one place: a
 * file (file.ts: local runs, the CLI's `--local`) and memory (memory.ts: tests, throwaway local
 * tenants). Each primitive operation is one exclusive read-modify-write of the document.
 */
import type { KeyRecord, TenantRecord, TenantRecords, VendorClaim } from './types.ts';

/** The JSON file's content: the same records as the DynamoDB items, keys as hashes only. */
export interface TenantDocument {
  readonly version: 1;
  tenants: TenantRecord[];
  keys: KeyRecord[];
  /** Absent in files written before vendor claims existed. */
  claims?: VendorClaim[];
}

export interface DocumentAccess {
  /** Runs `change` on the current document with exclusive access; saves it when `change` returns `save: true`. */
  update<T>(change: (doc: TenantDocument) => { save: boolean; result: T }): Promise<T>;
  read(): Promise<TenantDocument>;
}

export const emptyDocument = (): TenantDocument => ({ version: 1, tenants: [], keys: [] });

export function documentRecords(access: DocumentAccess): TenantRecords {
  const read = <T>(pick: (doc: TenantDocument) => T) => access.read().then(pick);
  const write = <T>(change: (doc: TenantDocument) => T | undefined, fallback: T) =>
    access.update((doc) => {
      const result = change(doc);
      return result === undefined ? { save: false, result: fallback } : { save: true, result };
    });
  const tenantIndex = (doc: TenantDocument, tenantId: string) => doc.tenants.findIndex((t) => t.tenantId === tenantId);

  return {
    getKey: (keyId) => read((doc) => doc.keys.find((k) => k.keyId === keyId)),
    getTenant: (tenantId) => read((doc) => doc.tenants.find((t) => t.tenantId === tenantId)),
    insertKey: (key) => write((doc) => (doc.keys.some((k) => k.keyId === key.keyId) ? undefined : (doc.keys.push({ ...key }), true)), false),
    insertTenant: (tenant) =>
      write((doc) => (tenantIndex(doc, tenant.tenantId) >= 0 ? undefined : (doc.tenants.push({ ...tenant, activeKeyIds: [...tenant.activeKeyIds] }), true)), false),
    deleteKey: async (keyId) => {
      await write((doc) => {
        const kept = doc.keys.filter((k) => k.keyId !== keyId);
        if (kept.length === doc.keys.length) return undefined;
        doc.keys = kept;
        return true;
      }, false);
    },
    activateKey: (tenantId, keyId, max) =>
      access.update((doc) => {
        const i = tenantIndex(doc, tenantId);
        if (i < 0) return { save: false, result: 'no-tenant' as const };
        const tenant = doc.tenants[i]!;
        if (tenant.activeKeyIds.includes(keyId)) return { save: false, result: 'activated' as const };
        if (tenant.activeKeyIds.length >= max) return { save: false, result: 'full' as const };
        doc.tenants[i] = { ...tenant, activeKeyIds: [...tenant.activeKeyIds, keyId].sort() };
        return { save: true, result: 'activated' as const };
      }),
    deactivateKey: (tenantId, keyId) =>
      write((doc) => {
        const i = tenantIndex(doc, tenantId);
        const tenant = doc.tenants[i];
        if (!tenant || !tenant.activeKeyIds.includes(keyId)) return undefined;
        doc.tenants[i] = { ...tenant, activeKeyIds: tenant.activeKeyIds.filter((id) => id !== keyId) };
        return true;
      }, false),
    markKeyRevoked: (keyId, revokedAt) =>
      write((doc) => {
        const i = doc.keys.findIndex((k) => k.keyId === keyId);
        const key = doc.keys[i];
        if (!key || key.revokedAt !== undefined) return undefined;
        doc.keys[i] = { ...key, revokedAt };
        return true;
      }, false),
    setUsagePlan: (tenantId, binding) =>
      write((doc) => {
        const i = tenantIndex(doc, tenantId);
        const tenant = doc.tenants[i];
        if (!tenant) return undefined;
        const { usagePlan: _previous, ...rest } = tenant;
        doc.tenants[i] = binding ? { ...rest, usagePlan: { ...binding } } : rest;
        return true;
      }, false),
    appendVendorName: (tenantId, posVendorName) =>
      access.update((doc) => {
        const i = tenantIndex(doc, tenantId);
        const tenant = doc.tenants[i];
        if (!tenant) return { save: false, result: 'no-tenant' as const };
        if (tenant.posVendorNames.includes(posVendorName)) return { save: false, result: 'present' as const };
        doc.tenants[i] = { ...tenant, posVendorNames: [...tenant.posVendorNames, posVendorName] };
        return { save: true, result: 'added' as const };
      }),
    getVendorClaim: (vendorKey) => read((doc) => doc.claims?.find((c) => c.vendorKey === vendorKey)),
    insertVendorClaim: (claim) =>
      write((doc) => {
        if (doc.claims?.some((c) => c.vendorKey === claim.vendorKey)) return undefined;
        (doc.claims ??= []).push({ ...claim });
        return true;
      }, false),
    replaceVendorClaim: (previous, next) =>
      write((doc) => {
        const i = doc.claims?.findIndex((c) => sameClaim(c, previous)) ?? -1;
        if (i < 0) return undefined;
        doc.claims![i] = { ...next };
        return true;
      }, false),
    deleteVendorClaim: (claim) =>
      write((doc) => {
        const kept = (doc.claims ?? []).filter((c) => !sameClaim(c, claim));
        if (kept.length === (doc.claims ?? []).length) return undefined;
        doc.claims = kept;
        return true;
      }, false),
    scan: () =>
      read((doc) => ({ tenants: doc.tenants.map((t) => ({ ...t })), keys: doc.keys.map((k) => ({ ...k })), claims: (doc.claims ?? []).map((c) => ({ ...c })) })),
  };
}

const sameClaim = (a: VendorClaim, b: VendorClaim) => a.vendorKey === b.vendorKey && a.tenantId === b.tenantId && a.claimedAt === b.claimedAt;
