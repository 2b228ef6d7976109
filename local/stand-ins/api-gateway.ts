/**
 * A loopback stand-in for the part of API Gateway's control plane the tenant CLI uses: API keys,
 * usage plans and usage-plan keys, in API Gateway's REST/JSON protocol, so the real
 * `@aws-sdk/client-api-gateway` runs unchanged through AWS_ENDPOINT_URL_API_GATEWAY. For the tests
 * of scripts/api-gateway-usage-plans.ts and of `tenant --stage`; it never leaves 127.0.0.1.
 *
 * It keeps API Gateway's rules that matter to the provisioner: an API key value has at least 20
 * characters; a key joins a plan once, and at most one plan per API stage; a usage plan still bound
 * to API stages cannot be deleted; unknown ids answer 404 `NotFoundException`. Errors carry
 * `x-amzn-ErrorType` and `{"message"}` like the real service. Every request is logged (method, path,
 * query, JSON body) for the tests, and `failWhen` injects a failure.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface StandInApiStage {
  apiId: string;
  stage: string;
  throttle?: Record<string, { rateLimit?: number; burstLimit?: number }>;
}

export interface StandInUsagePlan {
  id: string;
  name: string;
  description?: string;
  apiStages: StandInApiStage[];
  throttle?: { rateLimit?: number; burstLimit?: number };
  quota?: { limit?: number; offset?: number; period?: string };
  tags?: Record<string, string>;
}

export interface StandInApiKey {
  id: string;
  name?: string;
  description?: string;
  enabled: boolean;
  value: string;
  tags?: Record<string, string>;
  createdDate: number;
}

export interface StandInRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly body: unknown;
  /** Whether the request carried a SigV4 Authorization header. */
  readonly signed: boolean;
}

export interface StandInFailure {
  readonly status: number;
  /** The error shape name, e.g. `BadRequestException`, `TooManyRequestsException`. */
  readonly type: string;
  readonly message?: string;
}

export interface ApiGatewayStandIn {
  /** Value for AWS_ENDPOINT_URL_API_GATEWAY. */
  readonly endpoint: string;
  /** Requests received, in order. */
  readonly requests: StandInRequest[];
  readonly apiKeys: Map<string, StandInApiKey>;
  readonly usagePlans: Map<string, StandInUsagePlan>;
  /** usagePlanId → the API key ids in it. */
  readonly planKeys: Map<string, Set<string>>;
  /** Adds a usage plan as infrastructure would (not logged as a request); returns it. */
  addUsagePlan(plan: Omit<StandInUsagePlan, 'id'>): StandInUsagePlan;
  /** Answers the next matching requests with this failure instead of serving them. */
  failWhen(match: (request: StandInRequest) => boolean, failure: StandInFailure, times?: number): void;
  /** `METHOD /path` of every request since the last call (or the start), for compact assertions. */
  takeCalls(): string[];
  /** Forgets every plan, key, request and pending failure. */
  reset(): void;
  close(): Promise<void>;
}

export interface ApiGatewayStandInOptions {
  /** Most usage plans one GET /usageplans page holds, whatever its `limit` (API Gateway: 25 by default, 500 at most). */
  readonly pageSize?: number;
}

class HttpError extends Error {
  readonly status: number;
  readonly type: string;
  constructor(status: number, type: string, message: string) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

const notFound = (what: string) => new HttpError(404, 'NotFoundException', `Invalid ${what} specified`);
const badRequest = (message: string) => new HttpError(400, 'BadRequestException', message);
const conflict = (message: string) => new HttpError(409, 'ConflictException', message);

const id = () => randomBytes(5).toString('hex');

export async function startApiGatewayStandIn(options: ApiGatewayStandInOptions = {}): Promise<ApiGatewayStandIn> {
  const pageSize = options.pageSize ?? 500;
  const requests: StandInRequest[] = [];
  const apiKeys = new Map<string, StandInApiKey>();
  const usagePlans = new Map<string, StandInUsagePlan>();
  const planKeys = new Map<string, Set<string>>();
  const failures: { match: (request: StandInRequest) => boolean; failure: StandInFailure; times: number }[] = [];
  let taken = 0;

  const plan = (planId: string) => usagePlans.get(planId) ?? (() => { throw notFound('Usage Plan ID'); })();
  const key = (keyId: string) => apiKeys.get(keyId) ?? (() => { throw notFound('API Key identifier'); })();
  const keyView = (k: StandInApiKey, includeValue: boolean) => {
    const { value, ...rest } = k;
    return includeValue ? k : rest;
  };
  const stageKey = (s: StandInApiStage) => `${s.apiId}:${s.stage}`;

  const route = (request: StandInRequest): { status: number; body?: unknown } => {
    const { method, path, query } = request;
    const body = (request.body ?? {}) as Record<string, unknown>;
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);

    if (parts[0] === 'apikeys') {
      if (method === 'POST' && parts.length === 1) {
        const value = typeof body.value === 'string' ? body.value : randomBytes(30).toString('base64url').slice(0, 40);
        if (value.length < 20) throw badRequest('API Key value should be at least 20 characters');
        const created: StandInApiKey = {
          id: id(),
          ...(typeof body.name === 'string' ? { name: body.name } : {}),
          ...(typeof body.description === 'string' ? { description: body.description } : {}),
          enabled: body.enabled === true,
          value,
          ...(body.tags ? { tags: body.tags as Record<string, string> } : {}),
          createdDate: Math.floor(Date.now() / 1000),
        };
        apiKeys.set(created.id, created);
        return { status: 201, body: created };
      }
      if (parts.length === 2 && method === 'GET') return { status: 200, body: keyView(key(parts[1]!), query.includeValue === 'true') };
      if (parts.length === 2 && method === 'DELETE') {
        key(parts[1]!);
        apiKeys.delete(parts[1]!);
        // Deleting a key also takes it out of its usage plans.
        for (const keys of planKeys.values()) keys.delete(parts[1]!);
        return { status: 202 };
      }
    }

    if (parts[0] === 'usageplans') {
      if (parts.length === 1 && method === 'GET') {
        const all = [...usagePlans.values()].filter((p) => !query.keyId || planKeys.get(p.id)?.has(query.keyId));
        const start = query.position ? Number(query.position) : 0;
        const limit = Math.min(query.limit ? Number(query.limit) : 25, pageSize);
        const page = all.slice(start, start + limit);
        const next = start + limit < all.length ? String(start + limit) : undefined;
        return { status: 200, body: { item: page, ...(next ? { position: next } : {}) } };
      }
      if (parts.length === 1 && method === 'POST') {
        if (typeof body.name !== 'string' || body.name === '') throw badRequest('Usage plan name is required');
        const apiStages = (body.apiStages as StandInApiStage[] | undefined) ?? [];
        const created: StandInUsagePlan = {
          id: id(),
          name: body.name,
          ...(typeof body.description === 'string' ? { description: body.description } : {}),
          apiStages,
          ...(body.throttle ? { throttle: body.throttle as StandInUsagePlan['throttle'] } : {}),
          ...(body.quota ? { quota: body.quota as StandInUsagePlan['quota'] } : {}),
          ...(body.tags ? { tags: body.tags as Record<string, string> } : {}),
        };
        usagePlans.set(created.id, created);
        planKeys.set(created.id, new Set());
        return { status: 201, body: created };
      }
      const planId = parts[1]!;
      if (parts.length === 2 && method === 'GET') return { status: 200, body: plan(planId) };
      if (parts.length === 2 && method === 'DELETE') {
        const p = plan(planId);
        if (p.apiStages.length > 0) throw badRequest(`Cannot delete Usage Plan ${planId}: it is associated with API stages; remove them first`);
        usagePlans.delete(planId);
        planKeys.delete(planId);
        return { status: 202 };
      }
      if (parts.length === 2 && method === 'PATCH') {
        const p = plan(planId);
        const operations = (body.patchOperations as { op?: string; path?: string; value?: string }[] | undefined) ?? [];
        for (const operation of operations) {
          if (operation.path !== '/apiStages' || !operation.value) throw badRequest(`Unsupported patch operation ${JSON.stringify(operation)} (the stand-in knows add/remove /apiStages)`);
          const [apiId, stage] = operation.value.split(':');
          if (!apiId || !stage) throw badRequest(`Invalid API stage ${operation.value}`);
          if (operation.op === 'remove') {
            const before = p.apiStages.length;
            p.apiStages = p.apiStages.filter((s) => stageKey(s) !== operation.value);
            if (p.apiStages.length === before) throw notFound('API stage');
          } else if (operation.op === 'add') {
            p.apiStages.push({ apiId, stage });
          } else {
            throw badRequest(`Unsupported op ${String(operation.op)}`);
          }
        }
        return { status: 200, body: p };
      }
      if (parts[2] === 'keys') {
        const p = plan(planId);
        const keys = planKeys.get(planId)!;
        if (parts.length === 3 && method === 'POST') {
          if (body.keyType !== 'API_KEY') throw badRequest('keyType must be API_KEY');
          const k = key(String(body.keyId));
          if (keys.has(k.id)) throw conflict('Usage Plan Key already exists');
          for (const [otherId, otherKeys] of planKeys) {
            const other = usagePlans.get(otherId);
            if (otherId !== planId && otherKeys.has(k.id) && other?.apiStages.some((s) => p.apiStages.some((t) => stageKey(s) === stageKey(t)))) {
              throw conflict(`API Key ${k.id} is already associated with usage plan ${otherId} on the same API stage`);
            }
          }
          keys.add(k.id);
          return { status: 201, body: { id: k.id, type: 'API_KEY', name: k.name } };
        }
        if (parts.length === 3 && method === 'GET') {
          const item = [...keys].map((keyId) => ({ id: keyId, type: 'API_KEY', name: apiKeys.get(keyId)?.name }));
          return { status: 200, body: { item } };
        }
        if (parts.length === 4 && method === 'DELETE') {
          if (!keys.delete(parts[3]!)) throw notFound('Usage Plan Key');
          return { status: 202 };
        }
      }
    }
    throw new HttpError(404, 'NotFoundException', `The stand-in does not serve ${method} ${path}`);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const request: StandInRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body,
        signed: /^AWS4-HMAC-SHA256 /.test(req.headers.authorization ?? ''),
      };
      requests.push(request);
      const send = (status: number, payload?: unknown, errorType?: string) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (errorType) headers['x-amzn-errortype'] = errorType;
        res.writeHead(status, headers);
        res.end(payload === undefined ? '' : JSON.stringify(payload));
      };
      const injected = failures.find((f) => f.times > 0 && f.match(request));
      if (injected) {
        injected.times -= 1;
        send(injected.failure.status, { message: injected.failure.message ?? `injected ${injected.failure.type}` }, injected.failure.type);
        return;
      }
      try {
        const { status, body: answer } = route(request);
        send(status, answer);
      } catch (error) {
        if (error instanceof HttpError) send(error.status, { message: error.message }, error.type);
        else send(500, { message: String(error) }, 'InternalFailure');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    requests,
    apiKeys,
    usagePlans,
    planKeys,
    addUsagePlan(input) {
      const created: StandInUsagePlan = { id: id(), ...structuredClone(input) };
      usagePlans.set(created.id, created);
      planKeys.set(created.id, new Set());
      return created;
    },
    failWhen(match, failure, times = 1) {
      failures.push({ match, failure, times });
    },
    takeCalls() {
      const calls = requests.slice(taken).map((r) => `${r.method} ${r.path}`);
      taken = requests.length;
      return calls;
    },
    reset() {
      apiKeys.clear();
      usagePlans.clear();
      planKeys.clear();
      requests.length = 0;
      failures.length = 0;
      taken = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
