/**
 * The tenant store on DynamoDB (deployed stages; also the local dynalite stand-in): every primitive
 * record operation is one item write, conditional where the store logic relies on it.
 */
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig } from '#runtime/aws-client-config.ts';
import { isConditionFailure } from '#runtime/conditional-write.ts';
import { tenantTable } from '../tenant-table.ts';
import { createTenantStore } from './store.ts';
import type { KeyRecord, TenantRecord, TenantRecords, TenantStore, TenantStoreOptions, TenantThrottling, UsagePlanBinding, VendorClaim } from './types.ts';

const { partitionKey: pk, tenantPrefix, keyPrefix, vendorPrefix, activeKeysAttribute } = tenantTable;
const tenantItemKey = (tenantId: string) => ({ [pk]: `${tenantPrefix}${tenantId}` });
const keyItemKey = (keyId: string) => ({ [pk]: `${keyPrefix}${keyId}` });
const claimItemKey = (vendorKey: string) => ({ [pk]: `${vendorPrefix}${vendorKey}` });

function claimFromItem(item: Record<string, unknown>): VendorClaim {
  return { vendorKey: item.vendorKey as string, posVendorName: item.posVendorName as string, tenantId: item.tenantId as string, claimedAt: item.claimedAt as string };
}

/** The condition that a claim item is still exactly the one read. */
const sameClaim = (claim: VendorClaim) => ({
  ConditionExpression: 'tenantId = :owner AND claimedAt = :at',
  ExpressionAttributeValues: { ':owner': claim.tenantId, ':at': claim.claimedAt },
});

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

    async appendVendorName(tenantId, posVendorName) {
      const appended = await conditional(() =>
        db.send(
          new UpdateCommand({
            TableName,
            Key: tenantItemKey(tenantId),
            UpdateExpression: 'SET posVendorNames = list_append(if_not_exists(posVendorNames, :none), :names)',
            ConditionExpression: `attribute_exists(${pk}) AND NOT contains(posVendorNames, :name)`,
            ExpressionAttributeValues: { ':none': [], ':names': [posVendorName], ':name': posVendorName },
          }),
        ),
      );
      if (appended) return 'added';
      return (await this.getTenant(tenantId)) ? 'present' : 'no-tenant';
    },

    async getVendorClaim(vendorKey) {
      const { Item } = await db.send(new GetCommand({ TableName, Key: claimItemKey(vendorKey), ConsistentRead: true }));
      return Item ? claimFromItem(Item) : undefined;
    },

    insertVendorClaim: (claim) =>
      conditional(() => db.send(new PutCommand({ TableName, Item: { ...claimItemKey(claim.vendorKey), ...claim }, ConditionExpression: `attribute_not_exists(${pk})` }))),

    replaceVendorClaim: (previous, next) =>
      conditional(() => db.send(new PutCommand({ TableName, Item: { ...claimItemKey(next.vendorKey), ...next }, ...sameClaim(previous) }))),

    deleteVendorClaim: (claim) => conditional(() => db.send(new DeleteCommand({ TableName, Key: claimItemKey(claim.vendorKey), ...sameClaim(claim) }))),

    async scan() {
      const tenants: TenantRecord[] = [];
      const keys: KeyRecord[] = [];
      const claims: VendorClaim[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await db.send(new ScanCommand({ TableName, ConsistentRead: true, ExclusiveStartKey }));
        for (const item of page.Items ?? []) {
          const id = String(item[pk]);
          if (id.startsWith(tenantPrefix)) tenants.push(tenantFromItem(item));
          else if (id.startsWith(keyPrefix)) keys.push(keyFromItem(item));
          else if (id.startsWith(vendorPrefix)) claims.push(claimFromItem(item));
        }
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      return { tenants, keys, claims };
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

