/**
 * Durable transaction state in DynamoDB. Every write that guards money is conditional: claiming an
 * Idempotency-Key, taking a register's lock, and each status transition (which never leaves a
 * final state). Works against DynamoDB and the local stand-in alike (no transactions API needed).
 */
import { createHash } from 'node:crypto';
import { isConditionFailure } from '#runtime/conditional-write.ts';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Outcome, TransactionResult } from './transaction-outcome.ts';
import type { RegisterTriple, TransactionRequest } from './transaction-request.ts';
import { transactionTable } from './transaction-table.ts';

/** `SENDING` is the relay's own: the POST to SmartConnect is under way (shown to POS as PENDING). */
export type Lifecycle = 'SENDING' | 'PENDING' | 'DELAYED' | 'COMPLETED' | 'UNKNOWN';

export interface TransactionRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly request: TransactionRequest;
  readonly lifecycle: Lifecycle;
  readonly outcome?: Outcome;
  readonly result?: TransactionResult;
  /** Why the outcome is unknown, in words for support. */
  readonly unknownReason?: string;
  /** SmartConnect's polling URL: a bearer credential, never returned or logged. */
  readonly pollingUrl?: string;
  readonly smartConnectTransactionId?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly completedAt?: string;
  readonly createdAtMs: number;
  readonly pollCount: number;
  readonly consecutiveErrors: number;
}

export interface TransactionPage {
  readonly items: TransactionRecord[];
  readonly cursor?: string;
}

export interface TransactionStoreOptions {
  readonly tableName: string;
  readonly retentionDays: number;
}

export type KeyClaim = { readonly claimed: true } | { readonly claimed: false; readonly transactionId: string; readonly requestHash: string };
export type LockClaim = { readonly acquired: true } | { readonly acquired: false; readonly transactionId: string };

export class InvalidCursorError extends Error {}

const { partitionKey: pk, byRegisterIndex, ttlAttribute } = transactionTable;

const transactionKey = (id: string) => ({ [pk]: `TXN#${id}` });
const idempotencyItemKey = (tenantId: string, key: string) => ({ [pk]: `IDEM#${tenantId}#${key}` });
const registerPartition = (tenantId: string, posRegisterId: string) => `REG#${tenantId}#${posRegisterId}`;
/** The lock follows SmartConnect's routing key: the whole register triple. */
const lockKey = (tenantId: string, register: RegisterTriple) => ({
  [pk]: `LOCK#${tenantId}#${createHash('sha256').update(JSON.stringify([register.posRegisterId, register.posBusinessName, register.posVendorName])).digest('base64url')}`,
});

export function createTransactionStore(db: DynamoDBDocumentClient, options: TransactionStoreOptions) {
  const { tableName: TableName } = options;
  const expiresAt = (fromMs: number) => Math.floor(fromMs / 1000) + options.retentionDays * 86_400;

  const conditional = async <T>(write: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await write();
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  };

  return {
    async insert(record: TransactionRecord): Promise<void> {
      await db.send(
        new PutCommand({
          TableName,
          Item: {
            ...record,
            ...transactionKey(record.id),
            [byRegisterIndex.partitionKey]: registerPartition(record.tenantId, record.request.posRegisterId),
            [byRegisterIndex.sortKey]: `${record.createdAt}#${record.id}`,
            [ttlAttribute]: expiresAt(record.createdAtMs),
          },
          ConditionExpression: `attribute_not_exists(${pk})`,
        }),
      );
    },

    async get(id: string): Promise<TransactionRecord | undefined> {
      const { Item } = await db.send(new GetCommand({ TableName, Key: transactionKey(id), ConsistentRead: true }));
      return Item as TransactionRecord | undefined;
    },

    async delete(id: string): Promise<void> {
      await db.send(new DeleteCommand({ TableName, Key: transactionKey(id) }));
    },

    /**
     * Applies `changes` only if the record is still in one of `from`: the guard that stops a late
     * poll, a retry or a second poller from moving a transaction backwards or out of a final state.
     */
    async transition(id: string, from: readonly Lifecycle[], changes: Partial<TransactionRecord>): Promise<TransactionRecord | undefined> {
      const names: Record<string, string> = { '#lifecycle': 'lifecycle' };
      const values: Record<string, unknown> = {};
      const sets = Object.entries(changes)
        .filter(([, value]) => value !== undefined)
        .map(([field, value], i) => {
          names[`#f${i}`] = field;
          values[`:v${i}`] = value;
          return `#f${i} = :v${i}`;
        });
      from.forEach((state, i) => (values[`:from${i}`] = state));
      const result = await conditional(() =>
        db.send(
          new UpdateCommand({
            TableName,
            Key: transactionKey(id),
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: `#lifecycle IN (${from.map((_, i) => `:from${i}`).join(', ')})`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return result?.Attributes as TransactionRecord | undefined;
    },

    async claimIdempotencyKey(tenantId: string, key: string, transactionId: string, requestHash: string, nowMs: number): Promise<KeyClaim> {
      const claimed = await conditional(() =>
        db.send(
          new PutCommand({
            TableName,
            Item: { ...idempotencyItemKey(tenantId, key), transactionId, requestHash, [ttlAttribute]: expiresAt(nowMs) },
            ConditionExpression: `attribute_not_exists(${pk})`,
          }),
        ),
      );
      if (claimed) return { claimed: true };
      const { Item } = await db.send(new GetCommand({ TableName, Key: idempotencyItemKey(tenantId, key), ConsistentRead: true }));
      // Released between our write and read: report it as free so the caller tries again.
      if (!Item) return { claimed: false, transactionId: '', requestHash: '' };
      return { claimed: false, transactionId: Item.transactionId as string, requestHash: Item.requestHash as string };
    },

    async releaseIdempotencyKey(tenantId: string, key: string, transactionId: string): Promise<void> {
      await conditional(() =>
        db.send(
          new DeleteCommand({
            TableName,
            Key: idempotencyItemKey(tenantId, key),
            ConditionExpression: 'transactionId = :id',
            ExpressionAttributeValues: { ':id': transactionId },
          }),
        ),
      );
    },

    /** Takes the register's lock unless another transaction holds it and its lease has not run out. */
    async acquireRegisterLock(tenantId: string, register: RegisterTriple, transactionId: string, nowMs: number, leaseMs: number): Promise<LockClaim> {
      const acquired = await conditional(() =>
        db.send(
          new PutCommand({
            TableName,
            Item: { ...lockKey(tenantId, register), transactionId, leaseUntilMs: nowMs + leaseMs, [ttlAttribute]: Math.ceil((nowMs + leaseMs) / 1000) + 86_400 },
            ConditionExpression: `attribute_not_exists(${pk}) OR leaseUntilMs < :now OR transactionId = :id`,
            ExpressionAttributeValues: { ':now': nowMs, ':id': transactionId },
          }),
        ),
      );
      if (acquired) return { acquired: true };
      const { Item } = await db.send(new GetCommand({ TableName, Key: lockKey(tenantId, register), ConsistentRead: true }));
      return { acquired: false, transactionId: (Item?.transactionId as string | undefined) ?? '' };
    },

    async releaseRegisterLock(tenantId: string, register: RegisterTriple, transactionId: string): Promise<void> {
      await conditional(() =>
        db.send(
          new DeleteCommand({
            TableName,
            Key: lockKey(tenantId, register),
            ConditionExpression: 'transactionId = :id',
            ExpressionAttributeValues: { ':id': transactionId },
          }),
        ),
      );
    },

    /** A register's transactions, newest first. The cursor is opaque to the POS. */
    async listByRegister(tenantId: string, posRegisterId: string, limit: number, cursor?: string): Promise<TransactionPage> {
      const partition = registerPartition(tenantId, posRegisterId);
      const { Items = [], LastEvaluatedKey } = await db.send(
        new QueryCommand({
          TableName,
          IndexName: byRegisterIndex.name,
          KeyConditionExpression: '#p = :p',
          ExpressionAttributeNames: { '#p': byRegisterIndex.partitionKey },
          ExpressionAttributeValues: { ':p': partition },
          ScanIndexForward: false,
          Limit: limit,
          ExclusiveStartKey: cursor === undefined ? undefined : decodeCursor(cursor, partition),
        }),
      );
      return { items: Items as TransactionRecord[], cursor: LastEvaluatedKey ? encodeCursor(LastEvaluatedKey) : undefined };
    },
  };
}

export type TransactionStore = ReturnType<typeof createTransactionStore>;

const encodeCursor = (key: Record<string, unknown>) => Buffer.from(JSON.stringify(key)).toString('base64url');

/** A cursor only ever continues the caller's own register listing. */
function decodeCursor(cursor: string, partition: string): Record<string, unknown> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('not a cursor from this API');
  }
  const k = key as Record<string, unknown>;
  const valid =
    typeof key === 'object' && key !== null &&
    k[byRegisterIndex.partitionKey] === partition &&
    typeof k[byRegisterIndex.sortKey] === 'string' &&
    typeof k[pk] === 'string' && String(k[pk]).startsWith('TXN#') &&
    Object.keys(k).length === 3;
  if (!valid) throw new InvalidCursorError('not a cursor for this register listing');
  return k;
}
