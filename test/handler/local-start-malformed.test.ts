/**
 * Issue 7 item 5: no request, however malformed, stops `npm start` or goes unanswered; each gets a
 * JSON problem. And start-up mistakes print one `Refusing to start:` line and exit 1, no stack.
 * Runs the real local/start.ts as a child process and sends raw bytes over a socket, so neither
 * fetch nor a URL class tidies the request first.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { rawRequest, spawnLocalStart, startLocal, stop, type RunningLocalStart } from '../support/local-start.ts';

// Child processes on a busy 2-core machine: generous per-test time.
jest.setTimeout(60_000);

const stateDir = mkdtempSync(join(tmpdir(), 'relay-malformed-'));
const scratch: string[] = [];
const scratchDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
};
let run: RunningLocalStart;
let auth: string;

beforeAll(async () => {
  run = await startLocal({ PORT: '0', RELAY_STATE_DIR: stateDir });
  auth = `Authorization: Bearer ${run.apiKey}\r\n`;
}, 90_000);

afterAll(async () => {
  await stop(run);
  for (const dir of [stateDir, ...scratch]) rmSync(dir, { recursive: true, force: true });
});

const get = (target: string, headers = '') => `GET ${target} HTTP/1.1\r\nHost: localhost\r\n${headers}\r\n`;
const post = (target: string, headers: string, body: string) =>
  `POST ${target} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${headers}\r\n${body}`;
const sale = JSON.stringify({ transactionType: 'Card.Purchase', posRegisterId: 'till-1', posBusinessName: 'Toys Shop', posVendorName: 'LocalPOS', amountTotal: 1250 });

// [what, bytes (built once the key is known), expected status]
const malformed: Array<[string, () => string, number]> = [
  ['malformed percent-encoding in a path parameter', () => get('/transactions/%zz', auth), 400],
  ['truncated percent-encoding in a path parameter', () => get('/transactions/abc%E0%A4%A', auth), 400],
  ['malformed percent-encoding in a route segment', () => get('/%zzhealth'), 400],
  ['percent-encoded lone surrogate', () => get('/transactions/%ED%A0%80', auth), 400],
  ['malformed percent-encoding in a query key', () => get('/transactions?%zz=1', auth), 400],
  ['malformed percent-encoding in a query value', () => get('/transactions?posRegisterId=%', auth), 400],
  ['__proto__ as a query key', () => get('/transactions?__proto__=x&posRegisterId=till-1', auth), 400],
  ['constructor and prototype as query keys', () => get('/transactions?constructor=x&prototype=y&posRegisterId=till-1', auth), 400],
  ['__proto__[x] as a query key', () => get('/transactions?__proto__%5Bx%5D=1', auth), 400],
  ['__proto__ as a header name on a create', () => post('/transactions', `${auth}__proto__: x\r\nIdempotency-Key: k-proto\r\n`, sale), 400],
  ['constructor and prototype as header names on a create', () => post('/transactions', `${auth}constructor: x\r\nprototype: y\r\nIdempotency-Key: k-ctor\r\n`, sale), 400],
  ['__proto__ as a header name on a pairing', () => `PUT /pairing/%zz HTTP/1.1\r\nHost: localhost\r\n${auth}__proto__: 1\r\nContent-Length: 2\r\n\r\n{}`, 400],
  ['an empty path segment (//)', () => get('//'), 404],
  ['empty segments before a route (///health)', () => get('///health'), 404],
  ['an empty segment inside a route', () => get('/transactions//x', auth), 404],
  ['a dot-dot segment', () => get('/..'), 400],
  ['a dot-dot segment after a route', () => get('/transactions/..', auth), 400],
  ['a percent-encoded dot-dot segment', () => get('/%2e%2e/health'), 400],
  ['a dot segment', () => get('/./health'), 400],
  ['an asterisk request target', () => get('*'), 400],
  ['an absolute-form request target', () => get('http://evil.example/health'), 400],
  ['a huge header', () => get('/health', `X-Big: ${'a'.repeat(40_000)}\r\n`), 400],
  ['an unknown method', () => 'BREW /health HTTP/1.1\r\nHost: localhost\r\n\r\n', 400],
  ['a known method the relay has no route for', () => 'DELETE /transactions HTTP/1.1\r\nHost: localhost\r\n\r\n', 404],
  ['a request line that is not HTTP', () => 'garbage\r\n\r\n', 400],
  ['a header without a colon', () => 'GET /health HTTP/1.1\r\nHost: localhost\r\nno colon here\r\n\r\n', 400],
  ['a control character in a header value', () => 'GET /health HTTP/1.1\r\nHost: localhost\r\nX-A: a\u0001b\r\n\r\n', 400],
];

describe('npm start answers every malformed request with a JSON problem and stays up', () => {
  test.each(malformed)('%s', async (_what, bytes, status) => {
    const answer = await rawRequest(run.port, bytes());
    expect({ status: answer.status, alive: run.alive() }).toEqual({ status, alive: true });
    expect(answer.headers['content-type']).toBe('application/problem+json');
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    expect(body.status).toBe(status);
    expect(typeof body.code).toBe('string');
    // No stack trace or file path in what a client sees.
    expect(answer.body).not.toMatch(/\bat .*\.ts:\d+|node:internal|Error:/);
    const health = await rawRequest(run.port, get('/health'));
    expect(health.status).toBe(200);
  });

  test('prototype-named headers on a public route are just headers', async () => {
    const answer = await rawRequest(run.port, get('/health?__proto__=1&constructor=2', '__proto__: 1\r\nconstructor: 2\r\nprototype: 3\r\nhasOwnProperty: 4\r\n'));
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 'ok' });
  });

  test('every class again, all at once on parallel connections: still up, nothing unanswered', async () => {
    const answers = await Promise.all(malformed.map(([, bytes]) => rawRequest(run.port, bytes())));
    expect(answers.filter((a) => a.status === 0 || a.status >= 500)).toEqual([]);
    expect(run.alive()).toBe(true);
    expect((await rawRequest(run.port, get('/health'))).status).toBe(200);
  });
});

describe('start-up mistakes: one clear line, exit 1, no stack trace', () => {
  const refuses = async (env: Record<string, string>, args: string[] = []) => {
    const attempt = spawnLocalStart(env, args);
    const code = await attempt.exited;
    const output = attempt.output().trim();
    return { code, output };
  };
  const expectRefusal = ({ code, output }: { code: number | null; output: string }, pattern: RegExp) => {
    expect(code).toBe(1);
    expect(output.split('\n')).toHaveLength(1);
    expect(output).toMatch(/^Refusing to start: /);
    expect(output).toMatch(pattern);
    expect(output).not.toMatch(/\n\s+at |node:internal/);
  };

  test('PORT that is not a port number', async () => {
    expectRefusal(await refuses({ PORT: 'abc', RELAY_STATE_DIR: scratchDir('relay-refuse-') }), /PORT=abc/);
    expectRefusal(await refuses({ PORT: '70000', RELAY_STATE_DIR: scratchDir('relay-refuse-') }), /PORT=70000/);
  });

  test('a port already in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      expectRefusal(await refuses({ PORT: String(port), RELAY_STATE_DIR: scratchDir('relay-refuse-') }), new RegExp(`port ${port} is in use`));
    } finally {
      blocker.close();
    }
  });

  test('a state folder another npm start is using', async () => {
    expectRefusal(await refuses({ PORT: '0', RELAY_STATE_DIR: stateDir }), /another process/);
    expect(run.alive()).toBe(true);
  });

  test('a corrupt state file', async () => {
    const dir = scratchDir('relay-corrupt-');
    writeFileSync(join(dir, 'simulator.json'), '{"version":1,"pairing":');
    expectRefusal(await refuses({ PORT: '0', RELAY_STATE_DIR: dir }), /simulator\.json is not valid JSON.*--fresh/);
    writeFileSync(join(dir, 'relay.json'), 'not json');
    expectRefusal(await refuses({ PORT: '0', RELAY_STATE_DIR: dir }), /relay\.json is not a version 1 relay state file/);
  });

  test('a state folder that is a file', async () => {
    const dir = scratchDir('relay-notdir-');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'file'), '');
    expectRefusal(await refuses({ PORT: '0', RELAY_STATE_DIR: join(dir, 'file') }), /cannot be used/);
  });

  test('an unknown argument', async () => {
    expectRefusal(await refuses({ PORT: '0', RELAY_STATE_DIR: scratchDir('relay-refuse-') }, ['--frsh']), /unknown argument --frsh/);
  });
});
