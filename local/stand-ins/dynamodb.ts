/**
 * A DynamoDB on loopback (dynalite), in memory or kept in a LevelDB folder (`path`), so the real @aws-sdk/client-dynamodb runs
 * unchanged in tests and local runs through AWS_ENDPOINT_URL_DYNAMODB. It creates the tables it is
 * given with the same key schema as the deployed ones (dynalite does not expire TTL items: the
 * retention attribute is stored, not enforced, locally).
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { transactionTable } from '#transactions/transaction-table.ts';
import { webhookTable } from '#webhooks/webhook-table.ts';

// dynalite and level are CommonJS without types here.
const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: Record<string, number | string>) => Server;
const { Level } = require('level') as { Level: new (path: string) => { open(): Promise<void>; close(): Promise<void> } };

export interface DynamoStandInOptions {
  /** Keep the tables in this folder (LevelDB) across runs; in memory when omitted. */
  readonly path?: string;
}

/** The state folder cannot be used: another process holds it, or it is not a LevelDB database. */
export class DynamoStateError extends Error {}

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

/** The webhooks table as deployed (infra/webhook-delivery.ts builds it from the same `webhookTable`). */
export function webhookTableDefinition(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey } = webhookTable;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' },
      { AttributeName: sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
  };
}

export async function startDynamoStandIn(tables: readonly CreateTableCommandInput[] = [], options: DynamoStandInOptions = {}): Promise<DynamoStandIn> {
  if (options.path) await checkDatabase(options.path);
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.path ? { path: options.path } : {}) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local-stand-in', secretAccessKey: 'local-stand-in' } });
  for (const table of tables) {
    try {
      await client.send(new CreateTableCommand(table));
    } catch (error) {
      // Kept from an earlier run (`path`): the table and its items are already there.
      if ((error as { name?: string }).name !== 'ResourceInUseException') throw error;
    }
  }
  client.destroy();
  return {
    endpoint,
    // No closeAllConnections: dynalite closes its database with the server and throws (uncaught)
    // if an operation under way writes after that; a plain close lets those finish first and
    // still drops idle keep-alive connections.
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Opens and closes the database once first, so a folder another `npm start` holds, or one that is
 * not a database, is reported as one clear error instead of failing inside dynalite later.
 */
async function checkDatabase(path: string): Promise<void> {
  const db = new Level(path);
  try {
    await db.open();
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code === 'LEVEL_LOCKED' ? 'another process (a second npm start?) is using it' : (cause?.message ?? String(error));
    throw new DynamoStateError(`cannot open the local DynamoDB state in ${path}: ${reason}`, { cause: error });
  }
  await db.close();
}
