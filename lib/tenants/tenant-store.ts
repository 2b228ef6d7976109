/**
 * Tenants (POS platforms) and their API keys, behind one `TenantStore` interface with two backends:
 * DynamoDB (deployed stages; also the local dynalite stand-in) and a JSON file (`npm start`, the
 * admin CLI's `--local`). Both hold the same records, and keys only as hashes.
 *
 * The store logic is written once over a few primitive record operations, each atomic on its own
 * (a conditional write in DynamoDB, a locked read-modify-write of the file), because the local
 * DynamoDB stand-in has no transactions API. The invariants survive any interleaving or crash:
 * - a key works only while its id is in its tenant's `activeKeyIds`, and the conditional add to that
 *   set (`size < 2`) is the single write that admits a key, so a third active key cannot appear even
 *   when two rotations race;
 * - a key item is written (conditionally, so keyIds never collide) *before* its id is admitted to the
 *   set, and revocation removes it from the set first: a crash in between leaves at worst an unused
 *   key item, never a usable key that should not be.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { generateApiKey, generateKeyId, hashApiKey, isKeyId, parseApiKey } from './api-keys.ts';
import { awsClientConfig } from '#runtime/aws-client-config.ts';
import { isConditionFailure } from '#runtime/conditional-write.ts';
import { tenantTable } from './tenant-table.ts';

// ---------------------------------------------------------------------------------------------
// Records and the interface

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
}

export type TenantStoreErrorCode = 'invalid-input' | 'tenant-exists' | 'tenant-not-found' | 'key-exists' | 'key-not-found' | 'too-many-active-keys' | 'store-unreadable';

/** A refusal the admin should read: the message says what to do. */
export class TenantStoreError extends Error {
  readonly code: TenantStoreErrorCode;
  constructor(code: TenantStoreErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TenantStoreError';
    this.code = code;
  }
}

// ---------------------------------------------------------------------------------------------
// Validation (by hand rather than zod: this module is in the authorizer's bundle, kept small)

const tenantIdPattern = /^[a-z0-9][a-z0-9_-]{1,63}$/;
const singleLine = /^\P{Cc}*$/u;

export function isTenantId(value: unknown): value is string {
  return typeof value === 'string' && tenantIdPattern.test(value);
}

export function generateTenantId(): string {
  return `tnt_${generateKeyId()}${generateKeyId().slice(0, 4)}`;
}

function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || !/\S/.test(value)) throw invalid(`${field} must not be empty`);
  const trimmed = value.trim();
  if (trimmed.length > max) throw invalid(`${field} must be at most ${max} characters`);
  if (!singleLine.test(trimmed)) throw invalid(`${field} must not contain control characters`);
  return trimmed;
}

const invalid = (message: string) => new TenantStoreError('invalid-input', `${message}.`);

/** posVendorName has the same limits as in the pairing and transaction requests (64 characters). */
export function validateNewTenant(input: NewTenant): { name: string; posVendorNames: string[]; tenantId?: string; throttling?: TenantThrottling } {
  const name = text(input.name, 'name', 100);
  if (!Array.isArray(input.posVendorNames) || input.posVendorNames.length === 0) throw invalid('at least one posVendorName is required');
  const posVendorNames = [...new Set(input.posVendorNames.map((vendor) => text(vendor, 'posVendorName', 64)))];
  if (posVendorNames.length > 20) throw invalid('at most 20 posVendorNames are allowed');
  if (input.tenantId !== undefined && !isTenantId(input.tenantId)) {
    throw invalid('tenant id must be 2 to 64 characters: lowercase letters, digits, "-" and "_", starting with a letter or digit');
  }
  return { name, posVendorNames, ...(input.tenantId === undefined ? {} : { tenantId: input.tenantId }), ...validateThrottling(input.throttling) };
}

function validateThrottling(throttling: TenantThrottling | undefined): { throttling?: TenantThrottling } {
  if (throttling === undefined) return {};
  const { rateLimit, burstLimit, dailyQuota } = throttling;
  if (rateLimit !== undefined && !(Number.isFinite(rateLimit) && rateLimit > 0 && rateLimit <= 10_000)) throw invalid('rate must be a number of requests per second above 0 and at most 10000');
  if (burstLimit !== undefined && !(Number.isInteger(burstLimit) && burstLimit >= 1 && burstLimit <= 5_000)) throw invalid('burst must be a whole number from 1 to 5000');
  if (dailyQuota !== undefined && !(Number.isInteger(dailyQuota) && dailyQuota >= 1)) throw invalid('quota must be a whole number of requests per day, at least 1');
  const kept: TenantThrottling = {
    ...(rateLimit === undefined ? {} : { rateLimit }),
    ...(burstLimit === undefined ? {} : { burstLimit }),
    ...(dailyQuota === undefined ? {} : { dailyQuota }),
  };
  return Object.keys(kept).length === 0 ? {} : { throttling: kept };
}

// ---------------------------------------------------------------------------------------------
// The store logic, written once over primitive operations

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
  scan(): Promise<{ tenants: TenantRecord[]; keys: KeyRecord[] }>;
}

export interface TenantStoreOptions {
  readonly now?: () => Date;
}

export function createTenantStore(records: TenantRecords, options: TenantStoreOptions = {}): TenantStore {
  const now = () => (options.now?.() ?? new Date()).toISOString();
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
      const createdAt = now();
      const issued = await insertNewKey(tenantId, createdAt, input.apiKey);
      const tenant: TenantRecord = {
        tenantId,
        name: valid.name,
        posVendorNames: valid.posVendorNames,
        ...(valid.throttling ? { throttling: valid.throttling } : {}),
        createdAt,
        activeKeyIds: [issued.keyId],
      };
      if (!(await records.insertTenant(tenant))) {
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
  };
}

export interface LocalTenantOptions {
  /** The plaintext key to accept (RELAY_API_KEY, or one the local server just generated). */
  readonly apiKey: string;
  readonly posVendorNames: readonly string[];
  readonly name?: string;
}

/**
 * For `npm start`: makes `apiKey` authenticate, creating tenant `local-<keyId>` for it unless the key
 * already works. One tenant per distinct key, so changing RELAY_API_KEY never collides with an earlier
 * run's tenant. Returns the tenant's actual vendor names (an earlier run may have set others).
 */
export async function ensureTenantForKey(store: TenantStore, options: LocalTenantOptions): Promise<{ tenantId: string; keyId: string; posVendorNames: readonly string[]; created: boolean }> {
  const parsed = parseApiKey(options.apiKey);
  if (!parsed) throw new TenantStoreError('invalid-input', 'The API key is not a relay key (expected scr_<12 characters>_<43 characters>).');
  const found = await store.findActiveKey(parsed.keyId);
  if (found) {
    if (found.key.hash !== hashApiKey(options.apiKey)) throw new TenantStoreError('key-exists', `Key id ${parsed.keyId} belongs to another key; choose another key.`);
    return { tenantId: found.tenant.tenantId, keyId: parsed.keyId, posVendorNames: found.tenant.posVendorNames, created: false };
  }
  const { tenant } = await store.createTenant({
    tenantId: `local-${parsed.keyId}`,
    name: options.name ?? 'Local POS',
    posVendorNames: options.posVendorNames,
    apiKey: options.apiKey,
  });
  return { tenantId: tenant.tenantId, keyId: parsed.keyId, posVendorNames: tenant.posVendorNames, created: true };
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

// ---------------------------------------------------------------------------------------------
// DynamoDB backend

const { partitionKey: pk, tenantPrefix, keyPrefix, activeKeysAttribute } = tenantTable;
const tenantItemKey = (tenantId: string) => ({ [pk]: `${tenantPrefix}${tenantId}` });
const keyItemKey = (keyId: string) => ({ [pk]: `${keyPrefix}${keyId}` });

async function conditional(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

function tenantFromItem(item: Record<string, unknown>): TenantRecord {
  const active = item[activeKeysAttribute];
  return {
    tenantId: item.tenantId as string,
    name: item.name as string,
    posVendorNames: (item.posVendorNames as string[] | undefined) ?? [],
    ...(item.throttling ? { throttling: item.throttling as TenantThrottling } : {}),
    ...(item.usagePlan ? { usagePlan: item.usagePlan as UsagePlanBinding } : {}),
    createdAt: item.createdAt as string,
    // Read as a Set from DynamoDB; absent once the last key is revoked (sets cannot be empty).
    activeKeyIds: active instanceof Set ? [...(active as Set<string>)].sort() : Array.isArray(active) ? (active as string[]) : [],
  };
}

function keyFromItem(item: Record<string, unknown>): KeyRecord {
  return {
    keyId: item.keyId as string,
    tenantId: item.tenantId as string,
    hash: item.hash as string,
    createdAt: item.createdAt as string,
    ...(typeof item.revokedAt === 'string' ? { revokedAt: item.revokedAt } : {}),
  };
}

export function dynamoTenantRecords(db: DynamoDBDocumentClient, tableName: string): TenantRecords {
  const TableName = tableName;
  return {
    async getKey(keyId) {
      // Consistent reads: a revocation takes effect on the next authorizer cache miss, not "eventually".
      const { Item } = await db.send(new GetCommand({ TableName, Key: keyItemKey(keyId), ConsistentRead: true }));
      return Item ? keyFromItem(Item) : undefined;
    },

    async getTenant(tenantId) {
      const { Item } = await db.send(new GetCommand({ TableName, Key: tenantItemKey(tenantId), ConsistentRead: true }));
      return Item ? tenantFromItem(Item) : undefined;
    },

    insertKey: (key) =>
      conditional(() =>
        db.send(new PutCommand({ TableName, Item: { ...keyItemKey(key.keyId), ...key }, ConditionExpression: `attribute_not_exists(${pk})` })),
      ),

    insertTenant: (tenant) => {
      const { activeKeyIds, ...rest } = tenant;
      const item: Record<string, unknown> = { ...tenantItemKey(tenant.tenantId), ...rest };
      if (activeKeyIds.length > 0) item[activeKeysAttribute] = new Set(activeKeyIds);
      return conditional(() => db.send(new PutCommand({ TableName, Item: item, ConditionExpression: `attribute_not_exists(${pk})` })));
    },

    async deleteKey(keyId) {
      await db.send(new DeleteCommand({ TableName, Key: keyItemKey(keyId) }));
    },

    async activateKey(tenantId, keyId, max) {
      // The one write that admits a key: atomic, so racing rotations cannot make a third.
      const admitted = await conditional(() =>
        db.send(
          new UpdateCommand({
            TableName,
            Key: tenantItemKey(tenantId),
            UpdateExpression: 'ADD #active :key',
            ConditionExpression: `attribute_exists(${pk}) AND (attribute_not_exists(#active) OR size(#active) < :max)`,
            ExpressionAttributeNames: { '#active': activeKeysAttribute },
            ExpressionAttributeValues: { ':key': new Set([keyId]), ':max': max },
          }),
        ),
      );
      if (admitted) return 'activated';
      return (await this.getTenant(tenantId)) ? 'full' : 'no-tenant';
    },

    deactivateKey: (tenantId, keyId) =>
      conditional(() =>
        db.send(
          new UpdateCommand({
            TableName,
            Key: tenantItemKey(tenantId),
            UpdateExpression: 'DELETE #active :key',
            ConditionExpression: 'contains(#active, :id)',
            ExpressionAttributeNames: { '#active': activeKeysAttribute },
            ExpressionAttributeValues: { ':key': new Set([keyId]), ':id': keyId },
          }),
        ),
      ),

    markKeyRevoked: (keyId, revokedAt) =>
      conditional(() =>
        db.send(
          new UpdateCommand({
            TableName,
            Key: keyItemKey(keyId),
            UpdateExpression: 'SET revokedAt = :at',
            ConditionExpression: `attribute_exists(${pk}) AND attribute_not_exists(revokedAt)`,
            ExpressionAttributeValues: { ':at': revokedAt },
          }),
        ),
      ),

    setUsagePlan: (tenantId, binding) =>
      conditional(() =>
        db.send(
          new UpdateCommand({
            TableName,
            Key: tenantItemKey(tenantId),
            ...(binding
              ? { UpdateExpression: 'SET usagePlan = :plan', ExpressionAttributeValues: { ':plan': binding } }
              : { UpdateExpression: 'REMOVE usagePlan' }),
            ConditionExpression: `attribute_exists(${pk})`,
          }),
        ),
      ),

    async scan() {
      const tenants: TenantRecord[] = [];
      const keys: KeyRecord[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await db.send(new ScanCommand({ TableName, ConsistentRead: true, ExclusiveStartKey }));
        for (const item of page.Items ?? []) {
          const id = String(item[pk]);
          if (id.startsWith(tenantPrefix)) tenants.push(tenantFromItem(item));
          else if (id.startsWith(keyPrefix)) keys.push(keyFromItem(item));
        }
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      return { tenants, keys };
    },
  };
}

export function createDynamoTenantStore(db: DynamoDBDocumentClient, tableName: string, options?: TenantStoreOptions): TenantStore {
  return createTenantStore(dynamoTenantRecords(db, tableName), options);
}

/**
 * DynamoDB client settings for the tenants table: short timeouts (the authorizer answers inside
 * API Gateway's budget), and, against a loopback endpoint (dynalite in tests and local runs), a
 * region and dummy credentials so the default credential chain never reaches for the EC2 metadata
 * service.
 */
export function tenantTableClientConfig(vars: NodeJS.ProcessEnv, overrides: DynamoDBClientConfig = {}): DynamoDBClientConfig {
  return { maxAttempts: 3, requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 }, ...awsClientConfig(vars, 'DYNAMODB'), ...overrides };
}

// ---------------------------------------------------------------------------------------------
// Document backends: a JSON file (local runs, `--local`) and memory (tests, throwaway local tenants)

/** The JSON file's content: the same records as the DynamoDB items, keys as hashes only. */
export interface TenantDocument {
  readonly version: 1;
  tenants: TenantRecord[];
  keys: KeyRecord[];
}

interface DocumentAccess {
  /** Runs `change` on the current document with exclusive access; saves it when `change` returns `save: true`. */
  update<T>(change: (doc: TenantDocument) => { save: boolean; result: T }): Promise<T>;
  read(): Promise<TenantDocument>;
}

const emptyDocument = (): TenantDocument => ({ version: 1, tenants: [], keys: [] });

function documentRecords(access: DocumentAccess): TenantRecords {
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
    scan: () => read((doc) => ({ tenants: doc.tenants.map((t) => ({ ...t })), keys: doc.keys.map((k) => ({ ...k })) })),
  };
}

/** An in-memory store: tests, and a throwaway tenant for a local run that should leave no file behind. */
export function createMemoryTenantStore(options?: TenantStoreOptions): TenantStore {
  let doc = emptyDocument();
  const clone = (d: TenantDocument): TenantDocument => structuredClone(d);
  return createTenantStore(
    documentRecords({
      read: async () => clone(doc),
      update: async (change) => {
        const draft = clone(doc);
        const { save, result } = change(draft);
        if (save) doc = draft;
        return result;
      },
    }),
    options,
  );
}

export interface FileTenantStoreOptions extends TenantStoreOptions {
  /** How long to wait for another process's lock before giving up (ms). */
  readonly lockTimeoutMs?: number;
}

/**
 * A store in one JSON file. Every call reads the file afresh, so a running local server sees what
 * the CLI just did (a revocation works at once); every change is a read-modify-write under an
 * exclusive lock file (`<file>.lock`, created with O_EXCL) and lands by atomic rename, so the CLI and
 * the local server can share the file. A lock left by a crashed process is broken after 10 s.
 */
export function createFileTenantStore(path: string, options: FileTenantStoreOptions = {}): TenantStore {
  const lockPath = `${path}.lock`;
  const lockTimeoutMs = options.lockTimeoutMs ?? 5_000;
  const staleLockMs = 10_000;

  const read = async (): Promise<TenantDocument> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyDocument();
      throw error;
    }
    try {
      const doc = JSON.parse(text) as Partial<TenantDocument>;
      if (doc.version !== 1 || !Array.isArray(doc.tenants) || !Array.isArray(doc.keys)) throw new Error('unexpected shape');
      return doc as TenantDocument;
    } catch (error) {
      // Never overwrite a file we cannot read: it may hold the only record of a tenant.
      throw new TenantStoreError('store-unreadable', `${path} is not a tenant store (version 1 JSON); fix or move it.`, { cause: error });
    }
  };

  const lock = async (): Promise<() => Promise<void>> => {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const deadline = Date.now() + lockTimeoutMs;
    for (;;) {
      try {
        const handle = await open(lockPath, 'wx', 0o600);
        await handle.close();
        return () => unlink(lockPath).catch(() => undefined);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const age = await stat(lockPath).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > staleLockMs) {
        await unlink(lockPath).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${lockPath} is held by another process; try again (delete it if no tenant command is running).`);
      await new Promise((resolve) => setTimeout(resolve, 15 + Math.random() * 20));
    }
  };

  return createTenantStore(
    documentRecords({
      read,
      update: async (change) => {
        const release = await lock();
        try {
          const doc = await read();
          const { save, result } = change(doc);
          if (save) {
            const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
            await writeFile(temporary, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
            await rename(temporary, path);
          }
          return result;
        } finally {
          await release();
        }
      },
    }),
    options,
  );
}
