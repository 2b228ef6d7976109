/**
 * After a restart of `npm start` on kept state, nobody is polling the transactions that were
 * still open when the process died: find them in the table and hand each to the in-process
 * poller, which carries on exactly as the SQS worker would (a SENDING record past its deadline
 * ends UNKNOWN; PENDING and DELAYED ones are polled to a final state).
 *
 * Local only. When the transactions runtime gains its own `resumeActivePolls()`, call that here.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig } from '#runtime/aws-client-config.ts';
import { RuntimeEnv } from '#runtime/runtime-config.ts';
import type { Lifecycle } from '#transactions/transaction-store.ts';
import { transactionTable } from '#transactions/transaction-table.ts';

const open: readonly Lifecycle[] = ['SENDING', 'PENDING', 'DELAYED'];

/** Re-enqueues every open transaction; returns their ids. Needs the env startLocalRelay sets. */
export async function resumePendingTransactions(): Promise<string[]> {
  const tableName = process.env[RuntimeEnv.transactionsTable];
  if (!tableName) return [];
  const client = new DynamoDBClient(awsClientConfig(process.env, 'DYNAMODB'));
  const db = DynamoDBDocumentClient.from(client);
  const ids: string[] = [];
  try {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await db.send(
        new ScanCommand({
          TableName: tableName,
          ConsistentRead: true,
          FilterExpression: `begins_with(#pk, :txn) AND #lifecycle IN (${open.map((_, i) => `:s${i}`).join(', ')})`,
          ExpressionAttributeNames: { '#pk': transactionTable.partitionKey, '#lifecycle': 'lifecycle' },
          ExpressionAttributeValues: { ':txn': 'TXN#', ...Object.fromEntries(open.map((state, i) => [`:s${i}`, state])) },
          ProjectionExpression: 'id',
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) if (typeof item.id === 'string') ids.push(item.id);
      start = page.LastEvaluatedKey;
    } while (start);
  } finally {
    client.destroy();
  }
  if (ids.length === 0) return ids;
  // Imported only now: the runtime reads its configuration (set by startLocalRelay) at import.
  const { pollScheduler } = await import('#transactions/transactions-runtime.ts');
  for (const id of ids) await pollScheduler.schedule(id, 0);
  return ids;
}
