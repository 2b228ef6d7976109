/**
 * An in-memory DynamoDB on loopback (dynalite), so the real @aws-sdk/client-dynamodb runs
 * unchanged in tests and local runs through AWS_ENDPOINT_URL_DYNAMODB. It creates the tables it is
 * given with the same key schema as the deployed ones (dynalite does not expire TTL items: the
 * retention attribute is stored, not enforced, locally).
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { transactionTable } from '#transactions/transaction-table.ts';

// dynalite is CommonJS without types.
const dynalite = createRequire(import.meta.url)('dynalite') as (options: Record<string, number>) => Server;

export interface DynamoStandIn {
  /** Value for AWS_ENDPOINT_URL_DYNAMODB. */
  readonly endpoint: string;
  close(): Promise<void>;
}

/** The transactions table as deployed (infra builds it from the same `transactionTable`). */
export function transactionTableDefinition(tableName: string): CreateTableCommandInput {
  const { partitionKey, byRegisterIndex } = transactionTable;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' },
      { AttributeName: byRegisterIndex.partitionKey, AttributeType: 'S' },
      { AttributeName: byRegisterIndex.sortKey, AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: byRegisterIndex.name,
        KeySchema: [
          { AttributeName: byRegisterIndex.partitionKey, KeyType: 'HASH' },
          { AttributeName: byRegisterIndex.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

export async function startDynamoStandIn(tables: readonly CreateTableCommandInput[] = []): Promise<DynamoStandIn> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local-stand-in', secretAccessKey: 'local-stand-in' } });
  for (const table of tables) await client.send(new CreateTableCommand(table));
  client.destroy();
  return {
    endpoint,
    // No closeAllConnections: dynalite closes its database with the server and throws (uncaught)
    // if an operation under way writes after that; a plain close lets those finish first and
    // still drops idle keep-alive connections.
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
