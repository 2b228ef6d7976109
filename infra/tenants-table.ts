import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { tenantTable } from '#tenants/tenant-table.ts';
import type { StageConfig } from './stages.ts';

export interface TenantsTableProps {
  readonly config: StageConfig;
}

/**
 * The stage's tenants (POS platforms) and their API keys, keyed exactly as the tenant store, the
 * admin CLI and the local stand-in expect (`lib/tenants/tenant-table.ts`). The admin CLI finds
 * it by its name, `smartconnect-relay-<stage>-tenants`.
 *
 * The AWS-managed key is enough: items hold SHA-256 hashes of keys, never a key, and the tenants'
 * usage-plan API keys grant nothing by themselves (the API takes them from the authorizer only).
 * Only the authorizer reads it (GetItem) and only the admin CLI, with an operator's credentials,
 * writes it. No TTL: tenants and key records (revoked ones too, for the audit trail) stay until
 * an operator removes them.
 */
export class TenantsTable extends TableV2 {
  /** The table name as plain text (`tableName` is a Ref): the authorizer gets this one in its environment. */
  readonly plainName: string;

  constructor(scope: Construct, id: string, props: TenantsTableProps) {
    const { config } = props;
    const plainName = tenantsTableName(config.stage);
    super(scope, id, {
      tableName: plainName,
      billing: Billing.onDemand(),
      partitionKey: { name: tenantTable.partitionKey, type: AttributeType.STRING },
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryptionV2.awsManagedKey(),
      removalPolicy: config.tenantsTable.removalPolicy,
      deletionProtection: config.tenantsTable.deletionProtection,
    });
    this.plainName = plainName;
  }
}

/** The name the admin CLI looks the table up by. */
export const tenantsTableName = (stage: StageConfig['stage']): string => `smartconnect-relay-${stage}-tenants`;
