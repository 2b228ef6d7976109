import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from '@jest/globals';
import { encodeForm, formHeaders, json, register, send } from './helpers.ts';

const cli = fileURLToPath(new URL('../../local/simulator/cli.ts', import.meta.url));
let child: ChildProcessWithoutNullStreams | undefined;

afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
});

function run(port: string): { proc: ChildProcessWithoutNullStreams; output: () => string; exited: Promise<number | null> } {
  // Drop jest's NODE_OPTIONS (--experimental-vm-modules) so the child prints no warning.
  const { NODE_OPTIONS: _ignored, ...env } = process.env;
  const proc = spawn(process.execPath, [cli], { env: { ...env, PORT: port } });
  child = proc;
  let text = '';
  proc.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  proc.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, output: () => text, exited };
}

async function waitFor(output: () => string, pattern: RegExp): Promise<RegExpMatchArray> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const match = output().match(pattern);
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`no ${pattern} in output:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('cli.ts', () => {
  test('prints the base URL, a working pairing code and the curl line; stops cleanly on SIGTERM', async () => {
    const { proc, output, exited } = run('0');
    await waitFor(output, /Ctrl-C stops/);
    const [, baseUrl = ''] = await waitFor(output, /listening: (https:\/\/127\.0\.0\.1:\d+\/POS)\n/);
    const [, code = ''] = await waitFor(output, /Pairing code[^:]*: (\d{8})\n/);
    expect(output()).toContain(`${new URL(baseUrl).origin}/_device/pairing-codes`);
    expect(output()).toMatch(/curl --cacert \S+ca\.pem -X POST/);

    const paired = await send(`${baseUrl}/Pairing/${code}`, { method: 'PUT', headers: formHeaders, body: encodeForm({ ...register, POSRegisterName: 'Till' }) });
    expect(json(paired)).toEqual({ result: 'success' });

    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).toContain('SIGTERM: stopping');
  });

  test('SIGINT stops it too', async () => {
    const { proc, output, exited } = run('0');
    await waitFor(output, /Ctrl-C stops/);
    proc.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  test('a bad PORT exits with status 2', async () => {
    const { output, exited } = run('not-a-port');
    expect(await exited).toBe(2);
    expect(output()).toContain('PORT must be an integer');
  });
});
