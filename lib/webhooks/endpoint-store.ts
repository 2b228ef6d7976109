/**
 * Webhook endpoints per tenant, and sent events (for replays), in DynamoDB. Secrets are stored
 * because signing needs them; they leave the store only towards the signer, and the API shows a
 * secret once, when it is created.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '#runtime/conditional-write.ts';
import type { WebhookEvent, WebhookEventType } from './events.ts';
import { eventRetentionDays, webhookTable } from './webhook-table.ts';

/** After a rotation the previous secret keeps signing (a second `v1=`) for this long. */
export const rotationOverlapMs = 24 * 60 * 60 * 1000;

export interface EndpointSecret {
  readonly secret: string;
  /** Epoch ms after which it no longer signs; absent for the current secret. */
  readonly expiresAtMs?: number;
}

export interface WebhookEndpoint {
  readonly id: string;
  readonly tenantId: string;
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly secrets: readonly EndpointSecret[];
  readonly createdAt: string;
  /** Bumped by each rotation: the condition that stops two rotations both winning. */
  readonly revision: number;
}

/** What the API shows of an endpoint: never a secret. */
export const publicEndpoint = (endpoint: WebhookEndpoint) => ({
  id: endpoint.id,
  url: endpoint.url,
  events: endpoint.events,
  createdAt: endpoint.createdAt,
});

/** The secrets that sign right now: the current one and, for 24 h after a rotation, the previous one. */
export const validSecrets = (endpoint: WebhookEndpoint, nowMs: number): string[] =>
  endpoint.secrets.filter((s) => s.expiresAtMs === undefined || s.expiresAtMs > nowMs).map((s) => s.secret);

export interface StoredEvent {
  readonly tenantId: string;
  readonly event: WebhookEvent;
}

const { partitionKey: pk, sortKey: sk, ttlAttribute } = webhookTable;
const endpointKey = (tenantId: string, id: string) => ({ [pk]: `TENANT#${tenantId}`, [sk]: `ENDPOINT#${id}` });
const eventKey = (eventId: string) => ({ [pk]: `EVENT#${eventId}`, [sk]: 'EVENT' });

/** Most endpoints one tenant may register (each final outcome is one delivery per endpoint). */
export const maxEndpointsPerTenant = 10;

export function createEndpointStore(db: DynamoDBDocumentClient, tableName: string, now: () => number = Date.now) {
  const TableName = tableName;
  const strip = (item: Record<string, unknown>): WebhookEndpoint => {
    const { [pk]: _pk, [sk]: _sk, ...endpoint } = item;
    return endpoint as unknown as WebhookEndpoint;
  };
  return {
    async put(endpoint: WebhookEndpoint): Promise<void> {
      await db.send(
        new PutCommand({
          TableName,
          Item: { ...endpointKey(endpoint.tenantId, endpoint.id), ...endpoint },
          ConditionExpression: `attribute_not_exists(${pk})`,
        }),
      );
    },

    async list(tenantId: string): Promise<WebhookEndpoint[]> {
      const { Items = [] } = await db.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': pk, '#sk': sk },
          ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}`, ':prefix': 'ENDPOINT#' },
        }),
      );
      return Items.map(strip);
    },

    async get(tenantId: string, id: string): Promise<WebhookEndpoint | undefined> {
      const { Item } = await db.send(new GetCommand({ TableName, Key: endpointKey(tenantId, id), ConsistentRead: true }));
      return Item ? strip(Item) : undefined;
    },

    /** False when the tenant has no such endpoint. */
    async delete(tenantId: string, id: string): Promise<boolean> {
      try {
        await db.send(new DeleteCommand({ TableName, Key: endpointKey(tenantId, id), ConditionExpression: `attribute_exists(${pk})` }));
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    /**
     * Makes `secret` current; the secret current until now signs for 24 h more, and secrets whose
     * overlap has ended are dropped. Conditional on the secrets read, so two rotations cannot both win.
     */
    async rotateSecret(tenantId: string, id: string, secret: string): Promise<WebhookEndpoint | undefined> {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const endpoint = await this.get(tenantId, id);
        if (!endpoint) return undefined;
        const at = now();
        const previous = endpoint.secrets.filter((s) => s.expiresAtMs === undefined || s.expiresAtMs > at).map((s) => ({ secret: s.secret, expiresAtMs: Math.min(s.expiresAtMs ?? Infinity, at + rotationOverlapMs) }));
        const secrets: EndpointSecret[] = [{ secret }, ...previous];
        try {
          const { Attributes } = await db.send(
            new UpdateCommand({
              TableName,
              Key: endpointKey(tenantId, id),
              UpdateExpression: 'SET secrets = :new, revision = :next',
              ConditionExpression: 'revision = :read',
              ExpressionAttributeValues: { ':new': secrets, ':read': endpoint.revision, ':next': endpoint.revision + 1 },
              ReturnValues: 'ALL_NEW',
            }),
          );
          return Attributes ? strip(Attributes) : undefined;
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
        }
      }
      throw new Error('The endpoint secret kept changing during the rotation');
    },

    async putEvent(stored: StoredEvent): Promise<void> {
      await db.send(
        new PutCommand({
          TableName,
          Item: { ...eventKey(stored.event.id), ...stored, [ttlAttribute]: Math.floor(now() / 1000) + eventRetentionDays * 86_400 },
        }),
      );
    },

    async getEvent(eventId: string): Promise<StoredEvent | undefined> {
      const { Item } = await db.send(new GetCommand({ TableName, Key: eventKey(eventId) }));
      return Item ? { tenantId: Item.tenantId as string, event: Item.event as WebhookEvent } : undefined;
    },
  };
}

export type EndpointStore = ReturnType<typeof createEndpointStore>;
