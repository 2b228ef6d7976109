/**
 * What the webhook functions build once per container, configured only by their environment
 * (lib/runtime/runtime-config.ts): the endpoint store, the URL policy and the delivery
 * worker. In local runs the worker consumes the in-process queue the publisher fills.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig } from '#runtime/aws-client-config.ts';
import { problems } from '#http/problem.ts';
import { RuntimeEnv } from '#runtime/runtime-config.ts';
import { logger, positiveNumber } from '#runtime/container.ts';
import { createDeliveryWorker } from './delivery-worker.ts';
import { createEndpointStore } from './endpoint-store.ts';
import { inProcessDelivery, localWebhookQueue, webhookQueue } from './publisher.ts';
import { systemResolver, type UrlPolicy } from './url-policy.ts';

const env = process.env;
/** npm start retries 100x faster than AWS: a 30 s back-off takes 0.3 s, the 72 h window 43 min. */
const localBackoffScale = 0.01;

const tableName = env[RuntimeEnv.webhooksTable];
const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 3, ...awsClientConfig(env, 'DYNAMODB') }), {
  marshallOptions: { removeUndefinedValues: true },
});
export const endpointStore = createEndpointStore(dynamo, tableName ?? '');

/** Deployed: https to public addresses only. npm start: also http://localhost and http://127.0.0.1. */
export const urlPolicy: UrlPolicy = { allowLoopback: inProcessDelivery, resolve: systemResolver };

const noQueue = () => problems.misconfigured('The relay has no webhook queue configured.');

export const deliveryWorker = createDeliveryWorker({
  store: endpointStore,
  queue: webhookQueue ?? { send: () => Promise.reject(noQueue()), deadLetter: () => Promise.reject(noQueue()) },
  urlPolicy,
  backoffScale: inProcessDelivery ? positiveNumber(env[RuntimeEnv.webhookBackoffScale], localBackoffScale) : 1,
  log: (level, message, attributes) => logger[level](message, attributes),
});
localWebhookQueue?.start(deliveryWorker.handle);

/** Fails fast when the function was deployed without its table. */
export function requireWebhooksTable(): void {
  if (!tableName) throw problems.misconfigured('The relay has no webhooks table configured.');
}

/** Stops local deliveries and waits for those under way (local server shutdown). */
export async function stopInProcessWebhooks(): Promise<void> {
  await localWebhookQueue?.stop();
}
