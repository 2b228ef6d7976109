/** Each stage's DynamoDB tables: transactions, tenants and webhook endpoints. */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { tenantTable, tenantTableDefinition } from '#tenants/tenant-table.ts';
import { transactionTable } from '#transactions/transaction-table.ts';
import { transactionTableDefinition, webhookTableDefinition } from '../../local/stand-ins/dynamodb.ts';
import { webhookTable } from '#webhooks/webhook-table.ts';
import { region, relay, templates, synthesizeRelayApp, resourcesOf, only, logicalId, tableNamed } from './support/relay-template.ts';

beforeAll(synthesizeRelayApp);

describe.each(['dev', 'prod'] as const)('the %s stage', (stage) => {

  test('keeps transactions in one on-demand table shaped like the local stand-in, with TTL, PITR and KMS encryption', () => {
    expect(resourcesOf(stage, 'AWS::DynamoDB::Table')).toEqual({});
    expect(Object.keys(resourcesOf(stage, 'AWS::DynamoDB::GlobalTable'))).toHaveLength(3);
    const name = `smartconnect-relay-${stage}-transactions`;
    const table = tableNamed(stage, name);
    const local = transactionTableDefinition(name);
    const byName = (a: { AttributeName?: string }, b: { AttributeName?: string }) => (a.AttributeName ?? '').localeCompare(b.AttributeName ?? '');
    expect({
      TableName: table.Properties.TableName,
      BillingMode: table.Properties.BillingMode,
      AttributeDefinitions: [...table.Properties.AttributeDefinitions].sort(byName),
      KeySchema: table.Properties.KeySchema,
      GlobalSecondaryIndexes: table.Properties.GlobalSecondaryIndexes,
    }).toEqual({ ...local, AttributeDefinitions: [...local.AttributeDefinitions!].sort(byName) });
    // The same schema, spelled out from the shared constants.
    expect(table.Properties.KeySchema).toEqual([{ AttributeName: transactionTable.partitionKey, KeyType: 'HASH' }]);
    expect(table.Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: transactionTable.byRegisterIndex.name,
        KeySchema: [
          { AttributeName: transactionTable.byRegisterIndex.partitionKey, KeyType: 'HASH' },
          { AttributeName: transactionTable.byRegisterIndex.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: transactionTable.ttlAttribute, Enabled: true });
    // The AWS-managed key: KMS, with no key of our own.
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    const replica = only(table.Properties.Replicas as Record<string, any>[]);
    expect(replica).toMatchObject({
      Region: region,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: stage === 'prod',
    });
    expect(replica.KMSMasterKeyId).toBeUndefined();
  });

  test('keeps tenants in an on-demand table of their own, named for the admin CLI and shaped like the tenant store, with PITR and KMS encryption', () => {
    const name = `smartconnect-relay-${stage}-tenants`;
    const table = tableNamed(stage, name);
    const local = tenantTableDefinition(name);
    expect({
      TableName: table.Properties.TableName,
      BillingMode: table.Properties.BillingMode,
      AttributeDefinitions: table.Properties.AttributeDefinitions,
      KeySchema: table.Properties.KeySchema,
    }).toEqual(local);
    expect(table.Properties.KeySchema).toEqual([{ AttributeName: tenantTable.partitionKey, KeyType: 'HASH' }]);
    // No index (listing is an admin Scan) and no TTL (revoked keys stay for the audit trail).
    expect(table.Properties.GlobalSecondaryIndexes).toBeUndefined();
    expect(table.Properties.TimeToLiveSpecification).toBeUndefined();
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    const replica = only(table.Properties.Replicas as Record<string, any>[]);
    expect(replica).toMatchObject({
      Region: region,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: stage === 'prod',
    });
    expect(replica.KMSMasterKeyId).toBeUndefined();
    templates[stage].hasOutput('TenantsTableName', { Value: { Ref: logicalId(stage, relay.stacks[stage].tenantsTable) } });
  });

  test(`${stage === 'prod' ? 'keeps' : 'deletes'} the transactions and tenants tables with the stack`, () => {
    // prod keeps them on update and delete, but not when their very first create rolls back (a retry
    // would then fail with "already exists").
    const [deletion, replace] = stage === 'prod' ? ['RetainExceptOnCreate', 'Retain'] : ['Delete', 'Delete'];
    for (const name of [`smartconnect-relay-${stage}-transactions`, `smartconnect-relay-${stage}-tenants`]) {
      const table = tableNamed(stage, name);
      expect([name, table.DeletionPolicy, table.UpdateReplacePolicy]).toEqual([name, deletion, replace]);
    }
  });

  test('keeps webhook endpoints and sent events in an on-demand table shaped like the local stand-in, with TTL, PITR and KMS encryption', () => {
    const name = `smartconnect-relay-${stage}-webhooks`;
    const table = tableNamed(stage, name);
    const local = webhookTableDefinition(name);
    expect({
      TableName: table.Properties.TableName,
      BillingMode: table.Properties.BillingMode,
      AttributeDefinitions: table.Properties.AttributeDefinitions,
      KeySchema: table.Properties.KeySchema,
    }).toEqual(local);
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: webhookTable.ttlAttribute, Enabled: true });
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    expect(only(table.Properties.Replicas as Record<string, any>[])).toMatchObject({
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: stage === 'prod',
    });
  });
});
