/**
 * The webhooks table's shape, shared by the CDK stack and the local DynamoDB stand-in.
 * - `pk = TENANT#<tenant>`, `sk = ENDPOINT#<id>`: an endpoint (a Query lists a tenant's);
 * - `pk = EVENT#<event id>`, `sk = EVENT`: an event as sent, kept for replays until `expiresAt`.
 */
export const webhookTable = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
} as const;

/** How long a sent event stays replayable (`npm run tenant -- webhooks replay`). */
export const eventRetentionDays = 30;

/** Queue names, fixed so the admin CLI can find them (`npm run tenant -- webhooks …`). */
export const webhookQueueName = (stage: string) => `smartconnect-relay-${stage}-webhooks`;
export const webhookDeadLetterQueueName = (stage: string) => `smartconnect-relay-${stage}-webhook-dead-letters`;
