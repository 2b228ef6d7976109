/**
 * Runs `npm start` (local/start.ts) as a child process on a free port, the way a developer does,
 * and reads what its banner printed: the URL, the API key and the terminal's pairing code.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const start = fileURLToPath(new URL('../../local/start.ts', import.meta.url));

export interface NpmStart {
  readonly url: string;
  readonly apiKey: string;
  /** The pairing code the banner printed. */
  readonly pairingCode: string;
  readonly vendor: string;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Ctrl+C; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function npmStart(env: Record<string, string> = {}): Promise<NpmStart> {
  // Drop jest's NODE_OPTIONS (--experimental-vm-modules) so the child prints no warning.
  const { NODE_OPTIONS: _ignored, RELAY_API_KEY: _key, ...inherited } = process.env;
  const proc: ChildProcessWithoutNullStreams = spawn(process.execPath, [start], {
    // Its own directory for anything it keeps on disk, and a poll loop as fast as SmartConnect allows.
    env: { ...inherited, PORT: '0', POLL_INTERVAL_MS: '2000', RELAY_STATE_DIR: mkdtempSync(join(tmpdir(), 'relay-start-')), ...env },
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
  });
  let text = '';
  proc.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  proc.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));

  const waitFor = async (pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = text.match(pattern);
      if (match) return match;
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`no ${pattern} in npm start's output:\n${text}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  try {
    await waitFor(/Press Ctrl\+C to stop/);
  } catch (error) {
    proc.kill('SIGKILL');
    throw error;
  }
  const [, url = ''] = text.match(/listening on (http:\/\/\S+)/) ?? [];
  const [, apiKey = ''] = text.match(/export RELAY_API_KEY=(\S+)/) ?? [];
  const [, pairingCode = ''] = text.match(/shows pairing code (\d+)/) ?? [];
  const [, vendor = ''] = text.match(/posVendorName "([^"]+)"/) ?? [];
  return {
    url,
    apiKey,
    pairingCode,
    vendor,
    output: () => text,
    waitFor,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGINT');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
