/**
 * Runs the real `npm start` (local/start.ts) as a child process on loopback, as a developer does,
 * so tests can send it raw requests, kill it with SIGKILL and start it again on the same state.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

const startScript = fileURLToPath(new URL('../../local/start.ts', import.meta.url));
const ca = readFileSync(new URL('../../local/certs/ca.pem', import.meta.url));

export interface LocalStart {
  readonly proc: ChildProcessWithoutNullStreams;
  /** stdout and stderr so far. */
  output(): string;
  readonly exited: Promise<number | null>;
  alive(): boolean;
}

export interface RunningLocalStart extends LocalStart {
  readonly url: string;
  readonly port: number;
  readonly apiKey: string;
  /** The simulator's origin, e.g. https://127.0.0.1:40123 */
  readonly simulatorOrigin: string;
  /** The pairing code printed at start. */
  readonly pairingCode: string;
}

export function spawnLocalStart(env: Record<string, string>, args: readonly string[] = []): LocalStart {
  // Drop jest's NODE_OPTIONS (--experimental-vm-modules) so the child prints no warning.
  const { NODE_OPTIONS: _ignored, RELAY_API_KEY: _key, RELAY_STATE_DIR: _dir, RELAY_FRESH: _fresh, PORT: _port, SIMULATOR_PORT: _sim, ...inherited } = process.env;
  const proc = spawn(process.execPath, [startScript, ...args], { env: { ...inherited, POWERTOOLS_LOG_LEVEL: 'ERROR', ...env } });
  let text = '';
  proc.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  proc.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, output: () => text, exited, alive: () => proc.exitCode === null && proc.signalCode === null };
}

/** Starts `npm start` and waits until it prints its banner. */
export async function startLocal(env: Record<string, string>, args: readonly string[] = []): Promise<RunningLocalStart> {
  const run = spawnLocalStart(env, args);
  const deadline = Date.now() + 60_000;
  while (!/Press Ctrl\+C to stop/.test(run.output())) {
    if (!run.alive()) throw new Error(`npm start exited:\n${run.output()}`);
    if (Date.now() > deadline) {
      run.proc.kill('SIGKILL');
      throw new Error(`npm start did not come up:\n${run.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const text = run.output();
  const port = Number(/listening on http:\/\/localhost:(\d+)/.exec(text)![1]);
  return {
    ...run,
    url: `http://127.0.0.1:${port}`,
    port,
    apiKey: /API key \(tenant[^)]*\): (\S+)/.exec(text)![1]!,
    simulatorOrigin: /SmartConnect environment: (https:\/\/127\.0\.0\.1:\d+)\/POS/.exec(text)![1]!,
    pairingCode: /pairing code (\d{8})/.exec(text)![1]!,
  };
}

/** SIGKILL, as a crash or `kill -9` would: nothing gets to clean up. */
export async function killHard(run: LocalStart): Promise<void> {
  if (!run.alive()) return;
  run.proc.kill('SIGKILL');
  await run.exited;
}

export async function stop(run: LocalStart): Promise<void> {
  if (!run.alive()) return;
  run.proc.kill('SIGTERM');
  const timer = setTimeout(() => run.proc.kill('SIGKILL'), 5_000);
  await run.exited;
  clearTimeout(timer);
}

export interface RawAnswer {
  /** 0 when the connection closed without an answer. */
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Sends bytes as they are (no client-side URL or header checks) and reads the answer. */
export function rawRequest(port: number, bytes: string | Buffer, timeoutMs = 15_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${JSON.stringify(String(bytes).slice(0, 80))}`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const answer = parseAnswer(Buffer.concat(chunks));
      // One answer is enough: keep-alive would otherwise hold the socket open.
      if (answer) {
        clearTimeout(timer);
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseAnswer(Buffer.concat(chunks)) ?? { status: 0, headers: {}, body: Buffer.concat(chunks).toString('latin1') });
    });
    socket.write(bytes);
  });
}

/** A complete HTTP/1.1 answer (Content-Length or chunked), else undefined. */
function parseAnswer(data: Buffer): RawAnswer | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? Number.NaN);
  const body = data.subarray(end + 4);
  if (Number.isFinite(length) && body.length < length) return undefined;
  const status = Number(statusLine!.split(' ')[1]);
  if (headers['transfer-encoding'] !== 'chunked') return { status, headers, body: body.toString('utf8') };
  const parts: Buffer[] = [];
  for (let at = 0; ; ) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd === -1) return undefined;
    const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
    if (size === 0) return { status, headers, body: Buffer.concat(parts).toString('utf8') };
    if (body.length < lineEnd + 2 + size + 2) return undefined;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/** A new code from the simulated terminal's console (what a person reads off the screen). */
export function issuePairingCode(simulatorOrigin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${simulatorOrigin}/_device/pairing-codes`, { method: 'POST', ca }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => (res.statusCode === 201 ? resolve((JSON.parse(text) as { pairingCode: string }).pairingCode) : reject(new Error(`pairing code: ${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    req.end();
  });
}
