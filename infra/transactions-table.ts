import { AttributeType, Billing, ProjectionType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { transactionTable } from '#transactions/transaction-table.ts';
import type { StageConfig } from './stages.ts';

export interface TransactionsTableProps {
  readonly config: StageConfig;
}

/**
 * The stage's transactions, Idempotency-Keys and register locks, keyed exactly as the code and the
 * local stand-in expect (`lib/transactions/transaction-table.ts`).
 *
 * Encryption at rest uses the AWS-managed key (`aws/dynamodb`) rather than DynamoDB's own key: its
 * use is logged in CloudTrail under this account, at no key cost. A customer-managed key would add
 * a key policy to maintain for little gain: the most sensitive attribute, SmartConnect's polling
 * URL, is a bearer token that dies 15 minutes after the POST, and only the functions granted below
 * (see RelayFunction.useTransactions) can read items at all.
 */
export class TransactionsTable extends TableV2 {
  /** The table name as plain text (`tableName` is a Ref): functions get this one in their environment. */
  readonly plainName: string;
  /** ARN of the `byRegister` index, the only index a list may query. */
  readonly byRegisterIndexArn: string;

  constructor(scope: Construct, id: string, props: TransactionsTableProps) {
    const { config } = props;
    const { partitionKey, byRegisterIndex, ttlAttribute } = transactionTable;
    const plainName = `smartconnect-relay-${config.stage}-transactions`;
    super(scope, id, {
      tableName: plainName,
      billing: Billing.onDemand(),
      partitionKey: { name: partitionKey, type: AttributeType.STRING },
      globalSecondaryIndexes: [
        {
          indexName: byRegisterIndex.name,
          partitionKey: { name: byRegisterIndex.partitionKey, type: AttributeType.STRING },
          sortKey: { name: byRegisterIndex.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.ALL,
        },
      ],
      timeToLiveAttribute: ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryptionV2.awsManagedKey(),
      removalPolicy: config.transactionsTable.removalPolicy,
      deletionProtection: config.transactionsTable.deletionProtection,
    });
    this.plainName = plainName;
    this.byRegisterIndexArn = `${this.tableArn}/index/${byRegisterIndex.name}`;
  }
}
