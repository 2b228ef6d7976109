/**
 * GET /health: the one public route, for load balancers and uptime checks. It answers from the
 * function itself (no SSM, SmartConnect or DynamoDB call), so it says the API and Lambda are up,
 * and which stage this is, and nothing about any tenant.
 */
import { httpHandler, jsonResponse } from '#http/middy-stack.ts';
import { RuntimeEnv } from '#runtime/runtime-config.ts';

const stage = process.env[RuntimeEnv.stage] ?? 'unknown';

export const health = async () => jsonResponse(200, { status: 'ok', stage });

export const handler = httpHandler(health);
