/**
 * Durable transaction state in DynamoDB. Every write that guards money is conditional: claiming an
 * Idempotency-Key, taking a register's lock, and each status transition (which never leaves a
 * final state). Works against DynamoDB and the local stand-in alike (no transactions API needed).
 */
import { createHash } from 'node:crypto';
import { isConditionFailure } from '#runtime/conditional-write.ts';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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
  /** Sequence number of the one poll message allowed to poll next (absent on older records: 0). */
  readonly pollSeq?: number;
  /** Until when the worker that took poll `pollSeq` holds it; another copy may take it after. */
  readonly pollLeaseUntilMs?: number;
  /** Consecutive 404s from the polling URL: one can be a blip, a few are final. */
  readonly notFoundCount?: number;
}

/** The answer a create gave without producing a transaction (e.g. SmartConnect refused it), replayed for its key. */
export interface StoredAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Record<string, unknown>;
}

export type IdempotencyItem = { readonly transactionId: string; readonly requestHash: string; readonly answer?: StoredAnswer };

export interface TransactionPage {
  readonly items: TransactionRecord[];
  readonly cursor?: string;
}

export interface TransactionStoreOptions {
  readonly tableName: string;
  readonly retentionDays: number;
}

export type KeyClaim = { readonly claimed: true } | ({ readonly claimed: false } & IdempotencyItem);
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

/** Records from before poll sequences existed have none: theirs is poll 0. */
const seqIs = (seq: number) => (seq === 0 ? '(pollSeq = :seq OR attribute_not_exists(pollSeq))' : 'pollSeq = :seq');

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

  async function readIdempotencyKey(tenantId: string, key: string): Promise<IdempotencyItem | undefined> {
    const { Item } = await db.send(new GetCommand({ TableName, Key: idempotencyItemKey(tenantId, key), ConsistentRead: true }));
    if (!Item) return undefined;
    return { transactionId: Item.transactionId as string, requestHash: Item.requestHash as string, ...(Item.answer ? { answer: Item.answer as StoredAnswer } : {}) };
  }

  async function claimIdempotencyKey(tenantId: string, key: string, transactionId: string, requestHash: string, nowMs: number): Promise<KeyClaim> {
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
    const item = await readIdempotencyKey(tenantId, key);
    // Only retention (TTL) removes a claimed key; a key gone between write and read is simply claimed again.
    return item ? { claimed: false, ...item } : claimIdempotencyKey(tenantId, key, transactionId, requestHash, nowMs);
  }

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

    claimIdempotencyKey,
    readIdempotencyKey,

    /**
     * Records the answer of a create that produced no transaction on its key, once: every later
     * request with that key gets this answer. Only the create that holds the key can write it.
     */
    async storeAnswer(tenantId: string, key: string, transactionId: string, answer: StoredAnswer): Promise<boolean> {
      const stored = await conditional(() =>
        db.send(
          new UpdateCommand({
            TableName,
            Key: idempotencyItemKey(tenantId, key),
            UpdateExpression: 'SET #answer = :answer',
            ConditionExpression: 'transactionId = :id AND attribute_not_exists(#answer)',
            ExpressionAttributeNames: { '#answer': 'answer' },
            ExpressionAttributeValues: { ':id': transactionId, ':answer': answer },
          }),
        ),
      );
      return stored !== undefined;
    },

    /**
     * Takes poll number `seq` of a transaction: only if it is the transaction's next poll and no
     * other worker holds it (or that worker's lease ran out: it died). A redelivered or duplicated
     * message fails here and is dropped, so a transaction has one poll chain.
     */
    async claimPoll(id: string, seq: number, nowMs: number, leaseMs: number): Promise<boolean> {
      const claimed = await conditional(() =>
        db.send(
          new UpdateCommand({
            TableName,
            Key: transactionKey(id),
            UpdateExpression: 'SET pollLeaseUntilMs = :lease',
            ConditionExpression: `attribute_exists(${pk}) AND ${seqIs(seq)} AND (attribute_not_exists(pollLeaseUntilMs) OR pollLeaseUntilMs < :now)`,
            ExpressionAttributeValues: { ':seq': seq, ':now': nowMs, ':lease': nowMs + leaseMs },
          }),
        ),
      );
      return claimed !== undefined;
    },

    /** Hands the chain on to poll `seq + 1` (already scheduled) and frees the lease. */
    async advancePoll(id: string, seq: number): Promise<boolean> {
      const advanced = await conditional(() =>
        db.send(
          new UpdateCommand({
            TableName,
            Key: transactionKey(id),
            UpdateExpression: 'SET pollSeq = :next REMOVE pollLeaseUntilMs',
            ConditionExpression: `attribute_exists(${pk}) AND ${seqIs(seq)}`,
            ExpressionAttributeValues: { ':seq': seq, ':next': seq + 1 },
          }),
        ),
      );
      return advanced !== undefined;
    },

    /** Gives poll `seq` back after a failure, so its redelivery can take it at once. */
    async releasePoll(id: string, seq: number): Promise<void> {
      await conditional(() =>
        db.send(
          new UpdateCommand({
            TableName,
            Key: transactionKey(id),
            UpdateExpression: 'REMOVE pollLeaseUntilMs',
            ConditionExpression: `attribute_exists(${pk}) AND ${seqIs(seq)}`,
            ExpressionAttributeValues: { ':seq': seq },
          }),
        ),
      );
    },

    /** Every transaction not yet final (local restarts resume their polls). A full scan: local tables are small. */
    async listActive(): Promise<TransactionRecord[]> {
      const items: TransactionRecord[] = [];
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await db.send(
          new ScanCommand({
            TableName,
            FilterExpression: 'begins_with(#pk, :txn) AND #lifecycle IN (:s, :p, :d)',
            ExpressionAttributeNames: { '#pk': pk, '#lifecycle': 'lifecycle' },
            ExpressionAttributeValues: { ':txn': 'TXN#', ':s': 'SENDING', ':p': 'PENDING', ':d': 'DELAYED' },
            ExclusiveStartKey,
            ConsistentRead: true,
          }),
        );
        items.push(...((page.Items ?? []) as TransactionRecord[]));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      return items;
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
