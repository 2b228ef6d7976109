/**
 * Tenants (POS platforms), their API keys and their vendor names: the records, the `TenantStore`
 * interface every backend offers, and the primitive record operations a backend implements
 * (`TenantRecords`). The logic over them is written once, in store.ts.
 */
/** Per-tenant API Gateway usage-plan limits; unset members fall back to the stage defaults. */
export interface TenantThrottling {
  /** Steady requests per second. */
  readonly rateLimit?: number;
  /** Token-bucket size. */
  readonly burstLimit?: number;
  /** Requests per day. */
  readonly dailyQuota?: number;
}

/**
 * The tenant's API Gateway usage-plan API key. One per tenant, not per relay key: a tenant's two
 * keys during a rotation share one quota instead of doubling it. The value is what the authorizer
 * returns as `usageIdentifierKey`; with the API's key source set to AUTHORIZER, clients never send it,
 * so it grants nothing by itself.
 */
export interface UsagePlanBinding {
  readonly usagePlanId: string;
  readonly apiKeyId: string;
  readonly apiKeyValue: string;
}

export interface TenantRecord {
  readonly tenantId: string;
  readonly name: string;
  readonly posVendorNames: readonly string[];
  readonly throttling?: TenantThrottling;
  readonly usagePlan?: UsagePlanBinding;
  readonly createdAt: string;
  /** The keys that work (at most two). */
  readonly activeKeyIds: readonly string[];
}

export interface KeyRecord {
  readonly keyId: string;
  readonly tenantId: string;
  /** Hex SHA-256 of the whole key (api-keys.ts). */
  readonly hash: string;
  readonly createdAt: string;
  readonly revokedAt?: string;
}

/** `inactive`: written but never admitted (a refused or interrupted rotation); it never worked. */
export type KeyStatus = 'active' | 'revoked' | 'inactive';

/** What may be shown about a key: never its hash. */
export interface KeySummary {
  readonly keyId: string;
  readonly tenantId: string;
  readonly status: KeyStatus;
  readonly createdAt: string;
  readonly revokedAt?: string;
}

export interface TenantSummary {
  readonly tenantId: string;
  readonly name: string;
  readonly posVendorNames: readonly string[];
  readonly throttling?: TenantThrottling;
  readonly usagePlanId?: string;
  readonly createdAt: string;
  readonly keys: readonly KeySummary[];
}

export interface NewTenant {
  readonly name: string;
  readonly posVendorNames: readonly string[];
  /** Chosen id (e.g. `local`); generated when omitted. */
  readonly tenantId?: string;
  readonly throttling?: TenantThrottling;
  /** Adopt this plaintext key instead of generating one (the local server's RELAY_API_KEY). */
  readonly apiKey?: string;
  /** Allows a reserved id (`local-<keyId>`): npm start's own tenants only; the CLI never sets it. */
  readonly ownedByRelay?: boolean;
}

/** A freshly issued key: the only moment its plaintext exists outside the tenant's hands. */
export interface IssuedKey {
  readonly tenantId: string;
  readonly keyId: string;
  readonly apiKey: string;
}

export interface ActiveKey {
  readonly key: KeyRecord;
  readonly tenant: TenantRecord;
}

export interface RevokedKey {
  readonly key: KeySummary;
  readonly alreadyRevoked: boolean;
  /** Keys the tenant still has: 0 means it is locked out until a rotate. */
  readonly activeKeysLeft: number;
}

export interface TenantStore {
  /** Creates the tenant and its first key; the result is the only time the key is seen. */
  createTenant(input: NewTenant): Promise<{ tenant: TenantSummary; issued: IssuedKey }>;
  listTenants(): Promise<TenantSummary[]>;
  getTenant(tenantId: string): Promise<TenantSummary | undefined>;
  /** Issues an additional key; refuses when the tenant already has two active ones. */
  rotateKey(tenantId: string): Promise<IssuedKey>;
  revokeKey(keyId: string): Promise<RevokedKey>;
  /** The key and its tenant if the key may be used now (not revoked, admitted, tenant present); the caller checks the hash. */
  findActiveKey(keyId: string): Promise<ActiveKey | undefined>;
  setUsagePlan(tenantId: string, binding: UsagePlanBinding | undefined): Promise<void>;
  /** Gives the tenant another posVendorName, unless another tenant holds it (vendor-claims.ts). */
  addVendorName(tenantId: string, posVendorName: string): Promise<{ tenant: TenantSummary; added: boolean }>;
  /** Vendor names held by more than one tenant (records from before claims existed), and claims nobody holds. */
  vendorOverlaps(): Promise<VendorOverlap[]>;
  /**
   * Holds names for one of the relay's reserved ids (`local`: the names `npm start` serves from
   * memory), so no tenant in this store can take them meanwhile; refuses a name a tenant holds.
   */
  holdVendorNames(reservedOwner: string, posVendorNames: readonly string[]): Promise<void>;
  releaseVendorNames(reservedOwner: string, posVendorNames: readonly string[]): Promise<void>;
}

/**
 * A `posVendorName` held by one tenant: its own item (`VENDOR#<vendorKey>`), written with a
 * conditional put, so two tenants can never hold the same name (vendor-claims.ts).
 */
export interface VendorClaim {
  /** The name as compared (NFKC, case-folded): the claim's identity. */
  readonly vendorKey: string;
  /** The name as the tenant spelled it. */
  readonly posVendorName: string;
  readonly tenantId: string;
  readonly claimedAt: string;
}

/** Found by `tenant list`: a name several tenants list, or a claim whose tenant does not list it. */
export interface VendorOverlap {
  readonly vendorKey: string;
  /** Tenants whose records list a name with this key. */
  readonly tenantIds: readonly string[];
  /** The tenant the claim item names, if any. */
  readonly claimedBy?: string;
}

export type TenantStoreErrorCode =
  | 'invalid-input'
  | 'reserved-tenant-id'
  | 'tenant-exists'
  | 'tenant-not-found'
  | 'key-exists'
  | 'key-not-found'
  | 'too-many-active-keys'
  | 'vendor-taken'
  | 'store-unreadable';

/** A refusal the admin should read: the message says what to do. */
export class TenantStoreError extends Error {
  readonly code: TenantStoreErrorCode;
  constructor(code: TenantStoreErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TenantStoreError';
    this.code = code;
  }
}


/** The primitive operations a backend provides; each is atomic on its own. */
export interface TenantRecords {
  getKey(keyId: string): Promise<KeyRecord | undefined>;
  getTenant(tenantId: string): Promise<TenantRecord | undefined>;
  /** False when the keyId is taken. */
  insertKey(key: KeyRecord): Promise<boolean>;
  /** False when the tenantId is taken. */
  insertTenant(tenant: TenantRecord): Promise<boolean>;
  deleteKey(keyId: string): Promise<void>;
  /** Admits a key to the tenant's active set unless that already holds `max`. */
  activateKey(tenantId: string, keyId: string, max: number): Promise<'activated' | 'full' | 'no-tenant'>;
  /** False when the key was not in the set. */
  deactivateKey(tenantId: string, keyId: string): Promise<boolean>;
  /** False when the key was already revoked (or is gone). */
  markKeyRevoked(keyId: string, revokedAt: string): Promise<boolean>;
  /** False when the tenant does not exist. */
  setUsagePlan(tenantId: string, binding: UsagePlanBinding | undefined): Promise<boolean>;
  /** Appends a vendor name to the tenant's list unless it is there already. */
  appendVendorName(tenantId: string, posVendorName: string): Promise<'added' | 'present' | 'no-tenant'>;
  getVendorClaim(vendorKey: string): Promise<VendorClaim | undefined>;
  /** False when any tenant holds the key already (the conditional write that makes names exclusive). */
  insertVendorClaim(claim: VendorClaim): Promise<boolean>;
  /** Replaces exactly `previous` (same tenant and time) by `next`; false when it changed meanwhile. */
  replaceVendorClaim(previous: VendorClaim, next: VendorClaim): Promise<boolean>;
  /** Deletes exactly `claim` (same tenant and time); false when it is not there as read. */
  deleteVendorClaim(claim: VendorClaim): Promise<boolean>;
  scan(): Promise<{ tenants: TenantRecord[]; keys: KeyRecord[]; claims: VendorClaim[] }>;
}

export interface TenantStoreOptions {
  readonly now?: () => Date;
}


