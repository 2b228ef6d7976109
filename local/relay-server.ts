/**
 * Serves the relay's routes (functions/routes.ts) over plain HTTP on loopback by calling the very
 * handlers that run in Lambda, with the REST API proxy event API Gateway would send. Used by
 * `npm start` and the handler tests.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { authorizeProxyEvent, type Authorizer } from '../functions/authorize/authorizer.ts';
import { relayRoutes, type RelayRoute } from '../functions/routes.ts';
import { corsAllowHeaders, corsMaxAgeSeconds } from '#http/cors.ts';
import { problemResponse, problems, type RelayProblem } from '#http/problem.ts';
import { authProblems } from '#tenants/tenant-context.ts';

type LambdaHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface RelayServerOptions {
  readonly port?: number;
  readonly host?: string;
  /** API Gateway's stage name, as seen in `requestContext.stage`. */
  readonly stage?: string;
  /** Largest request body accepted, like API Gateway's payload limit. */
  readonly maxBodyBytes?: number;
  /** Per-invocation time budget reported through `context.getRemainingTimeInMillis()`. */
  readonly functionTimeoutMs?: number;
  /** The Lambda authorizer, run before every non-public route as API Gateway would. */
  readonly authorizer: Authorizer;
  /** Per-tenant request rate, standing in for API Gateway usage plans (all tenants get the same). */
  readonly rateLimit?: { readonly perSecond: number; readonly burst: number };
  /** Browser origins whose CORS preflights are answered, like the stage's API Gateway config. */
  readonly corsAllowedOrigins?: readonly string[];
  /** Runs around every request (`npm start`'s console log and developer pages); `next` serves it as usual. */
  readonly around?: (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
}

/** What the server learnt about a request, for the console log: its API Gateway request id and tenant. */
export const requestFacts = new WeakMap<IncomingMessage, { requestId: string; tenantId?: string }>();

export interface RelayServer {
  readonly url: string;
  close(): Promise<void>;
}

interface CompiledRoute {
  readonly route: RelayRoute;
  readonly pattern: RegExp;
  readonly names: string[];
  readonly handler: LambdaHandler;
}

/** Handlers read their configuration at import, so set process.env before starting. */
export async function startRelayServer(options: RelayServerOptions): Promise<RelayServer> {
  const { stage = 'dev', maxBodyBytes = 1_000_000, functionTimeoutMs = 20_000, authorizer, corsAllowedOrigins = [] } = options;
  const routes = await Promise.all(relayRoutes.map(compile));
  const rateLimiter = options.rateLimit ? tokenBuckets(options.rateLimit.perSecond, options.rateLimit.burst) : undefined;

  const listener = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://relay.local');
    const send = (result: APIGatewayProxyResult) => {
      res.writeHead(result.statusCode, result.headers as Record<string, string> | undefined);
      res.end(result.body);
    };
    const sendProblem = (problem: RelayProblem) => send(problemResponse(problem));

    let body: string;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch {
      return sendProblem(problems.requestTooLarge(maxBodyBytes));
    }
    if (req.method === 'OPTIONS') {
      const origin = req.headers.origin;
      const methods = routes.filter((r) => r.pattern.test(url.pathname)).map((r) => r.route.method);
      if (!origin || !corsAllowedOrigins.includes(origin) || methods.length === 0) return sendProblem(problems.routeNotFound('OPTIONS', url.pathname));
      return send({ statusCode: 204, headers: preflightHeaders(origin, methods), body: '' });
    }
    for (const { route, pattern, names, handler } of routes) {
      const match = route.method === req.method ? pattern.exec(url.pathname) : null;
      if (!match) continue;
      const pathParameters = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1]!)]));
      const event = toProxyEvent(req, url, body, route, pathParameters, stage);
      requestFacts.set(req, { requestId: event.requestContext.requestId });
      if (!route.public) {
        let authorized;
        try {
          authorized = await authorizeProxyEvent(authorizer, event);
        } catch (error) {
          return sendProblem(authProblems.authorizerFailure(error));
        }
        if (!authorized) return sendProblem(authProblems.unauthorized());
        const waitSeconds = rateLimiter?.(authorized.tenantId);
        if (waitSeconds) return sendProblem(problems.rateLimited(waitSeconds));
        event.requestContext.authorizer = authorized;
        requestFacts.set(req, { requestId: event.requestContext.requestId, tenantId: authorized.tenantId });
      }
      return send(await handler(event, lambdaContext(route.handler, functionTimeoutMs)));
    }
    return sendProblem(problems.routeNotFound(req.method ?? 'GET', url.pathname));
  };
  const { around } = options;
  const server: Server = createServer((req, res) => (around ? around(req, res, () => void listener(req, res)) : void listener(req, res)));

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function preflightHeaders(origin: string, methods: readonly string[]): Record<string, string> {
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': [...methods, 'OPTIONS'].join(', '),
    'access-control-allow-headers': corsAllowHeaders.join(', '),
    'access-control-max-age': String(corsMaxAgeSeconds),
    vary: 'Origin',
  };
}

/** A token bucket per tenant: returns 0 when the request may pass, else seconds to wait. */
function tokenBuckets(perSecond: number, burst: number): (tenantId: string) => number {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (tenantId) => {
    const now = Date.now();
    const bucket = buckets.get(tenantId) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    buckets.set(tenantId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
  };
}

async function compile(route: RelayRoute): Promise<CompiledRoute> {
  const names: string[] = [];
  const source = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  const module = (await import(`../functions/${route.handler}/handler.ts`)) as { handler: LambdaHandler };
  return { route, pattern: new RegExp(`^${source}/?$`), names, handler: module.handler };
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new Error('body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function toProxyEvent(
  req: IncomingMessage,
  url: URL,
  body: string,
  route: RelayRoute,
  pathParameters: Record<string, string>,
  stage: string,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [key, value] of url.searchParams) {
    query[key] = value;
    (multiQuery[key] ??= []).push(value);
  }
  const hasQuery = url.searchParams.size > 0;
  return {
    resource: route.path,
    path: url.pathname,
    httpMethod: route.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters,
    stageVariables: null,
    body: body.length > 0 ? body : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      authorizer: undefined,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: route.method,
      identity: { sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: req.headers['user-agent'] ?? null } as APIGatewayProxyEvent['requestContext']['identity'],
      path: `/${stage}${url.pathname}`,
      stage,
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: route.path,
    },
  };
}

function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/local/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
