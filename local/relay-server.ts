/**
 * Serves the relay's routes (functions/routes.ts) over plain HTTP on loopback by calling the very
 * handlers that run in Lambda, with the REST API proxy event API Gateway would send. Used by
 * `npm start` and the handler tests.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { authorizeProxyEvent, type Authorizer } from '../functions/authorize/authorizer.ts';
import { relayRoutes, type RelayRoute } from '../functions/routes.ts';
import { corsAllowHeaders, corsMaxAgeSeconds } from '#http/cors.ts';
import { problemResponse, problems, RelayProblem } from '#http/problem.ts';
import { authProblems } from '#tenants/tenant-context.ts';
import { badRequestTarget, parseRequestTarget, type RequestTarget } from './request-target.ts';

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
  /** The route's path segments; `{name}` ones capture a path parameter. */
  readonly segments: readonly string[];
  readonly handler: LambdaHandler;
}

/** Like API Gateway's header limit (10 KB), with room for Node's own count. */
const maxHeaderBytes = 16_384;

/** Handlers read their configuration at import, so set process.env before starting. */
export async function startRelayServer(options: RelayServerOptions): Promise<RelayServer> {
  const { stage = 'dev', maxBodyBytes = 1_000_000, functionTimeoutMs = 20_000, authorizer, corsAllowedOrigins = [] } = options;
  const routes = await Promise.all(relayRoutes.map(compile));
  const rateLimiter = options.rateLimit ? tokenBuckets(options.rateLimit.perSecond, options.rateLimit.burst) : undefined;

  const handle = async (req: IncomingMessage, send: (result: APIGatewayProxyResult) => void): Promise<void> => {
    const sendProblem = (problem: RelayProblem) => send(problemResponse(problem));
    const method = req.method ?? 'GET';
    const parsed = parseRequestTarget(method, req.url);

    let body: string;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch {
      return sendProblem(problems.requestTooLarge(maxBodyBytes));
    }
    if (!parsed.ok) return sendProblem(parsed.problem);
    const target = parsed.target;
    if (method === 'OPTIONS') {
      const origin = req.headers.origin;
      const methods = routes.filter((r) => matchRoute(r, target.segments)).map((r) => r.route.method);
      if (!origin || !corsAllowedOrigins.includes(origin) || methods.length === 0) return sendProblem(problems.routeNotFound('OPTIONS', target.path));
      return send({ statusCode: 204, headers: preflightHeaders(origin, methods), body: '' });
    }
    for (const compiled of routes) {
      const pathParameters = compiled.route.method === method ? matchRoute(compiled, target.segments) : undefined;
      if (!pathParameters) continue;
      const { route, handler } = compiled;
      const event = toProxyEvent(req, target, body, route, pathParameters, stage);
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
    return sendProblem(problems.routeNotFound(method, target.path));
  };

  // requireHostHeader off: Node would answer a request without Host with an empty 400 of its own.
  const { around } = options;
  const server: Server = createServer({ maxHeaderSize: maxHeaderBytes, requireHostHeader: false }, (req, res) => (around ? around(req, res, () => serve(req, res)) : serve(req, res)));
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    const send = (result: APIGatewayProxyResult) => {
      if (res.headersSent || res.destroyed) return;
      res.writeHead(result.statusCode, result.headers as Record<string, string> | undefined);
      res.end(result.body);
    };
    if (!req.headers.host && req.httpVersion !== '1.0') return send(problemResponse(badRequestTarget('HTTP/1.1 requests need a Host header.')));
    // Whatever a request or a handler throws becomes a 500 problem (no stack in the body) and the
    // server keeps serving: one request must never stop `npm start`.
    handle(req, send).catch((error: unknown) => {
      console.error(`Local relay: unexpected error answering ${req.method ?? '?'} (${error instanceof Error ? error.name : typeof error}); answered 500.`);
      try {
        send(problemResponse(problems.internal()));
      } catch {
        res.destroy();
      }
    });
  };
  // Requests Node's parser refuses (bad request line, oversized or invalid headers) never reach
  // the handler: answer them with a JSON problem too, when the socket can still take it.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const problem =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? new RelayProblem({ status: 400, code: 'headers-too-large', title: 'Request headers too large', detail: `The request headers exceed ${maxHeaderBytes} bytes.` })
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? new RelayProblem({ status: 408, code: 'request-timeout', title: 'Request timeout', detail: 'The request was not received in time. Nothing was sent to the terminal.' })
          : badRequestTarget('The request is not valid HTTP/1.1 (method, request line or headers could not be parsed).');
    const { statusCode, headers, body } = problemResponse(problem);
    const head = Object.entries({ ...headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' })
      .map(([name, value]) => `${name}: ${value}`)
      .join('\r\n');
    socket.end(`HTTP/1.1 ${statusCode} ${statusCode === 408 ? 'Request Timeout' : 'Bad Request'}\r\n${head}\r\n\r\n${body}`);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
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
  const module = (await import(`../functions/${route.handler}/handler.ts`)) as { handler: LambdaHandler };
  return { route, segments: route.path.split('/').slice(1), handler: module.handler };
}

/** The decoded path parameters when `segments` (decoded) match the route, else undefined. */
function matchRoute(compiled: CompiledRoute, segments: readonly string[]): Record<string, string> | undefined {
  if (segments.length !== compiled.segments.length) return undefined;
  const parameters: Record<string, string> = {};
  for (const [i, expected] of compiled.segments.entries()) {
    const actual = segments[i]!;
    const name = /^\{(\w+)\}$/.exec(expected)?.[1];
    if (name) {
      if (actual === '') return undefined;
      parameters[name] = actual;
    } else if (actual !== expected) {
      return undefined;
    }
  }
  return parameters;
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
  target: RequestTarget,
  body: string,
  route: RelayRoute,
  pathParameters: Record<string, string>,
  stage: string,
): APIGatewayProxyEvent {
  // No prototype: header names such as `__proto__` or `constructor` are plain data.
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  const multiValueHeaders: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const { query, multiQuery, hasQuery } = target;
  return {
    resource: route.path,
    path: target.path,
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
      path: `/${stage}${target.path}`,
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
