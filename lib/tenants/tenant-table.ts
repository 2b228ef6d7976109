/**
 * The tenants table's shape, shared by the tenant store, the CDK stack (infra) and the local
 * DynamoDB stand-in, so code, infrastructure and tests agree on every key name.
 *
 * A table of its own, not the transactions table: only the authorizer reads it and only the admin
 * CLI writes it, it has no TTL, and it deserves point-in-time recovery and deletion protection.
 *
 * Two kinds of item, both under the partition key `pk`:
 * - `TENANT#<tenantId>`: the tenant (name, allowed vendor names, throttling, and `activeKeyIds`, the
 *   string set that is the source of truth for which keys work; at most two members);
 * - `KEY#<keyId>`: one API key (tenantId, SHA-256 hash, createdAt, revokedAt) read by the authorizer
 *   with one consistent GetItem.
 * No index: listing is a Scan, fine for an admin command over tens of tenants.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export const tenantTable = {
  partitionKey: 'pk',
  tenantPrefix: 'TENANT#',
  keyPrefix: 'KEY#',
  /** String set of the tenant's usable keyIds (DynamoDB sets cannot be empty: absent means none). */
  activeKeysAttribute: 'activeKeyIds',
  /** Two during a rotation, never more. */
  maxActiveKeys: 2,
} as const;

/** The tenants table as deployed: infra should build its `Table` from the same names. */
export function tenantTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: tenantTable.partitionKey, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: tenantTable.partitionKey, KeyType: 'HASH' }],
  };
}
