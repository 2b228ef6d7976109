/**
 * The transactions table's shape, shared by the CDK stack (infra) and the local DynamoDB
 * stand-in, so code, infrastructure and tests agree on every key name.
 *
 * One table, three kinds of item, all under the partition key `pk`:
 * - `TXN#<id>`: the transaction record (GSI `byRegister` lists a register's, newest first);
 * - `IDEM#<tenant>#<key>`: an Idempotency-Key claimed for one transaction;
 * - `LOCK#<tenant>#<register>`: the register's one in-flight transaction.
 */
export const transactionTable = {
  partitionKey: 'pk',
  byRegisterIndex: { name: 'byRegister', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  /** Epoch seconds after which DynamoDB deletes the item (retention). */
  ttlAttribute: 'expiresAt',
} as const;
