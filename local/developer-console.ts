/**
 * What `npm start` adds around the relay for a developer at the keyboard: one console line per
 * request, the OpenAPI document at /openapi.json, a reference page at /docs (swagger-ui-dist from
 * node_modules, no network), the virtual terminal at /_device, and an index at /. Only local:
 * the deployed API serves none of these.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requestFacts, type RelayServerOptions } from './relay-server.ts';
import type { DeviceConsole } from './simulator/index.ts';

export interface DeveloperConsoleOptions {
  /** Where each request's line goes (console.log in `npm start`); no log when omitted. */
  readonly log?: (line: string) => void;
  /** The simulator's virtual terminal, served at /_device; absent against a real SmartConnect. */
  readonly deviceConsole?: DeviceConsole;
}

export const openApiFile = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));
const swaggerDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const swaggerAssets: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const docsPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SmartConnect relay · API reference</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"><link rel="icon" href="/docs/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script><script src="/docs/swagger-ui-standalone-preset.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout', validatorUrl: null, persistAuthorization: true });</script>
</body></html>`;

const indexPage = (hasTerminal: boolean) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SmartConnect relay (local)</title>
<style>body{font-family:system-ui,sans-serif;max-width:640px;margin:40px auto;color:#1d2433}a{color:#2563eb}</style></head>
<body><h1>SmartConnect relay (local)</h1><ul>
${hasTerminal ? '<li><a href="/_device">Virtual terminal</a>: pairing code, registers, transactions; 62-cent amounts wait for you</li>' : ''}
<li><a href="/docs">API reference</a> (<a href="/openapi.json">openapi.json</a>)</li>
<li><a href="/health">GET /health</a></li></ul></body></html>`;

/** The request path as it may be logged: pairing codes are credentials and stay out. */
export function loggablePath(path: string): string {
  return path.replace(/\/pairing\/[^/?\s]*/gi, '/pairing/{pairingCode}');
}

export interface RequestRecord {
  readonly at: Date;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly ms: number;
  readonly tenantId?: string;
  readonly requestId?: string;
  /** The problem body, when the answer was one. */
  readonly problem?: { code?: unknown; detail?: unknown; smartConnectStatus?: unknown };
}

/** One readable line: time, method, path, status, ms, tenant, request id; then a problem's code, SmartConnect's status and the detail. */
export function requestLine(r: RequestRecord): string {
  const time = r.at.toISOString().slice(11, 23);
  const parts = [time, r.method.padEnd(4), loggablePath(r.path), String(r.status), `${Math.round(r.ms)} ms`, `tenant=${r.tenantId ?? '-'}`, `req=${r.requestId ?? '-'}`];
  if (r.problem) {
    const upstream = typeof r.problem.smartConnectStatus === 'number' ? ` (SmartConnect ${r.problem.smartConnectStatus})` : '';
    // A 404's detail repeats the path: mask it the same way.
    const detail = typeof r.problem.detail === 'string' ? loggablePath(r.problem.detail.replace(/\s+/g, ' ')).slice(0, 200) : '';
    parts.push(`✗ ${String(r.problem.code)}${upstream}: ${detail}`);
  }
  return parts.join('  ');
}

type Answer = { status: number; headers: Record<string, string>; body: string | Buffer };

function developerPage(method: string, path: string, body: string, host: string, options: DeveloperConsoleOptions): Answer | undefined {
  if (path.startsWith('/_device')) {
    const answer = options.deviceConsole?.(method, path, body);
    return answer && { status: answer.status, headers: { 'content-type': answer.contentType ?? 'text/plain', 'cache-control': 'no-store' }, body: answer.body };
  }
  if (method !== 'GET') return undefined;
  if (path === '/') return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: indexPage(Boolean(options.deviceConsole)) };
  if (path === '/openapi.json') {
    // "Try it out" on /docs calls this server, whatever port it runs on.
    const document = { ...(JSON.parse(readFileSync(openApiFile, 'utf8')) as object), servers: [{ url: `http://${host}`, description: 'this `npm start`' }] };
    return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(document, null, 2) };
  }
  if (path === '/docs' || path === '/docs/') return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: docsPage };
  const asset = path.startsWith('/docs/') ? path.slice('/docs/'.length) : undefined;
  if (asset && swaggerAssets[asset]) return { status: 200, headers: { 'content-type': swaggerAssets[asset], 'cache-control': 'max-age=3600' }, body: readFileSync(join(swaggerDir, asset)) };
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

export function developerConsole(options: DeveloperConsoleOptions): NonNullable<RelayServerOptions['around']> {
  return (req, res, next) => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const isPage = path === '/' || path === '/openapi.json' || path === '/docs' || path.startsWith('/docs/') || (path.startsWith('/_device') && options.deviceConsole);
    if (isPage) {
      void (async () => {
        const answer = developerPage(method, path, method === 'POST' ? await readBody(req) : '', req.headers.host ?? 'localhost', options);
        if (!answer) return next();
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      })().catch(() => res.destroy());
      return;
    }
    if (!options.log) return next();
    const started = performance.now();
    const log = options.log;
    // Keep the body of a problem answer (small) to name its code on the console line.
    let problemText = '';
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    res.end = ((...args: unknown[]) => {
      const [chunk] = args;
      // Every error answer of the relay is a problem (headers go through writeHead, so check the status).
      if (res.statusCode >= 400 && (typeof chunk === 'string' || Buffer.isBuffer(chunk))) problemText = chunk.toString();
      return end(...args);
    }) as ServerResponse['end'];
    res.once('finish', () => {
      let problem: RequestRecord['problem'];
      try {
        problem = problemText ? (JSON.parse(problemText) as RequestRecord['problem']) : undefined;
      } catch {
        problem = undefined;
      }
      const facts = requestFacts.get(req);
      log(requestLine({ at: new Date(), method, path, status: res.statusCode, ms: performance.now() - started, tenantId: facts?.tenantId, requestId: facts?.requestId, problem }));
    });
    next();
  };
}
