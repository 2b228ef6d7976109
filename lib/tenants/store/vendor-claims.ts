/**
 * A `posVendorName` belongs to at most one tenant. SmartConnect knows a register only by
 * (register id, business name, vendor name), so whoever may send a vendor name controls every
 * register under it: its pairings, its lock, its transactions.
 *
 * Each name a tenant holds has a claim item keyed by the name as compared (`vendorKey`: NFKC and
 * case-folded, invisible characters dropped), written with a conditional put before the tenant
 * record lists the name. The put is the one write that decides ownership, so two racing creates or
 * add-vendors cannot both win. Tenants written before claims existed are checked by a scan too.
 *
 * A crash between the claim and the tenant record leaves a claim naming a tenant that does not
 * exist; such a claim is taken over after `staleClaimMs`, unless its owner is a reserved id
 * (`local`: npm start's own vendor name).
 */
import { isReservedTenantId } from './validation.ts';
import { TenantStoreError, type TenantRecord, type TenantRecords, type VendorClaim, type VendorOverlap } from './types.ts';

/** Longer than any create takes between its claims and its tenant record. */
export const staleClaimMs = 60_000;

const invisible = /\p{Default_Ignorable_Code_Point}/gu;

/**
 * The name as compared: NFKC (full-width and compatibility forms fold to their plain letters), then
 * a full case fold (upper- then lower-casing maps `ß` to `ss` and final `ς` to `σ`, as case folding
 * does), without zero-width and other default-ignorable characters.
 */
export function vendorKey(posVendorName: string): string {
  return posVendorName.normalize('NFKC').replace(invisible, '').toUpperCase().toLowerCase().normalize('NFKC').trim();
}

/** The refusal: says what to do, names no other tenant. */
export function vendorTaken(posVendorName: string): TenantStoreError {
  return new TenantStoreError(
    'vendor-taken',
    `posVendorName ${JSON.stringify(posVendorName)} already belongs to another tenant (names are compared ignoring case and Unicode width). ` +
      'A posVendorName can belong to one tenant only, because it gives control of every register under it. Choose another name, ' +
      'or, if this tenant should have it, have the other one give it up first.',
  );
}

export type ClaimResult = { readonly ok: true; readonly claimed: VendorClaim[] } | { readonly ok: false; readonly taken: string };

/**
 * Claims every name for `tenantId`. Names it holds already count as held; a name another tenant
 * holds (or lists, from before claims existed) refuses the lot, and the claims made here are
 * released again. `claimed` lists only the claims this call wrote, for the caller to release if
 * its own next write fails.
 */
export async function claimVendorNames(
  records: TenantRecords,
  tenantId: string,
  posVendorNames: readonly string[],
  now: () => Date,
): Promise<ClaimResult> {
  const { tenants } = await records.scan();
  const listedElsewhere = new Set(tenants.filter((t) => t.tenantId !== tenantId).flatMap((t) => t.posVendorNames.map(vendorKey)));
  const claimed: VendorClaim[] = [];
  const refuse = async (name: string): Promise<ClaimResult> => {
    await releaseVendorClaims(records, claimed);
    return { ok: false, taken: name };
  };
  const seen = new Set<string>();
  for (const posVendorName of posVendorNames) {
    const key = vendorKey(posVendorName);
    if (seen.has(key)) continue;
    seen.add(key);
    if (listedElsewhere.has(key)) return refuse(posVendorName);
    const claim: VendorClaim = { vendorKey: key, posVendorName, tenantId, claimedAt: now().toISOString() };
    if (await records.insertVendorClaim(claim)) {
      claimed.push(claim);
      continue;
    }
    const held = await records.getVendorClaim(key);
    if (held?.tenantId === tenantId) continue;
    if (held && (await isStale(records, held, now())) && (await records.replaceVendorClaim(held, claim))) {
      claimed.push(claim);
      continue;
    }
    // Gone between the put and the read (released by a failed create): try once more.
    if (!held && (await records.insertVendorClaim(claim))) {
      claimed.push(claim);
      continue;
    }
    return refuse(posVendorName);
  }
  return { ok: true, claimed };
}

async function isStale(records: TenantRecords, claim: VendorClaim, now: Date): Promise<boolean> {
  if (isReservedTenantId(claim.tenantId)) return false;
  if (now.getTime() - Date.parse(claim.claimedAt) < staleClaimMs) return false;
  return (await records.getTenant(claim.tenantId)) === undefined;
}

export async function releaseVendorClaims(records: TenantRecords, claims: readonly VendorClaim[]): Promise<void> {
  for (const claim of claims) await records.deleteVendorClaim(claim);
}

/**
 * What `tenant list` warns about: a name several tenants list (records from before claims), or a
 * name tenants list while its claim names someone else.
 */
export function findVendorOverlaps(tenants: readonly TenantRecord[], claims: readonly VendorClaim[]): VendorOverlap[] {
  const listing = new Map<string, Set<string>>();
  for (const tenant of tenants) {
    for (const name of tenant.posVendorNames) {
      const key = vendorKey(name);
      if (!listing.has(key)) listing.set(key, new Set());
      listing.get(key)!.add(tenant.tenantId);
    }
  }
  const claimOf = new Map(claims.map((c) => [c.vendorKey, c.tenantId]));
  const overlaps: VendorOverlap[] = [];
  for (const [key, holders] of listing) {
    const tenantIds = [...holders].sort();
    const claimedBy = claimOf.get(key);
    const foreignClaim = claimedBy !== undefined && !holders.has(claimedBy);
    if (tenantIds.length > 1 || foreignClaim) overlaps.push({ vendorKey: key, tenantIds, ...(claimedBy === undefined ? {} : { claimedBy }) });
  }
  return overlaps.sort((a, b) => a.vendorKey.localeCompare(b.vendorKey));
}
