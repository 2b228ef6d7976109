/**
 * Lambda entry point of the API Gateway REQUEST authorizer (see authorizer.ts). Everything is built
 * once per container from the environment. It imports neither runtime.ts (SSM, got) nor zod: only
 * the DynamoDB document client and the logger, so cold starts stay small.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayRequestAuthorizerEvent, Context } from 'aws-lambda';
import { createDynamoTenantStore, tenantTableClientConfig } from '#tenants/tenant-store.ts';
import { RuntimeEnv } from '#runtime/runtime-config.ts';
import { createAuthorizer, type AuthorizerResult } from './authorizer.ts';

const env = process.env;

export const logger = new Logger({ serviceName: env.POWERTOOLS_SERVICE_NAME ?? 'smartconnect-relay' });

const tableName = env[RuntimeEnv.tenantsTable];

export const tenantStore = createDynamoTenantStore(
  // Two short attempts: the authorizer has 5 s for up to two reads, and a store failure must be logged, not timed out.
  DynamoDBDocumentClient.from(new DynamoDBClient(tenantTableClientConfig(env, { maxAttempts: 2, requestHandler: { connectionTimeout: 500, requestTimeout: 1_000 } }))),
  tableName ?? '',
);

const authorize = createAuthorizer({ store: tenantStore, logger });

export async function handler(event: APIGatewayRequestAuthorizerEvent, context?: Context): Promise<AuthorizerResult> {
  if (context) logger.addContext(context);
  // A missing table name is a deployment fault: answer 500 (AUTHORIZER_FAILURE), never a misleading 401.
  if (!tableName) {
    logger.error(`${RuntimeEnv.tenantsTable} is not set`);
    throw new Error(`${RuntimeEnv.tenantsTable} is not set`);
  }
  return authorize(event);
}
