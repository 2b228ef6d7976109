/**
 * `npm run smoke`: passes against the local relay (money path included, on the simulator), and
 * fails clearly, at the first failing step, against a relay that is down or refuses the key.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startLocalRelay, type LocalRelay } from '../../local/local-relay.ts';
import { smoke } from '../../scripts/smoke.ts';

let relay: LocalRelay;
beforeAll(async () => {
  relay = await startLocalRelay({ posVendorNames: ['SmokePOS'] });
});
afterAll(() => relay.close());

const run = async (options: { url: string; key: string; simulator?: string }) => {
  const lines: string[] = [];
  const passed = await smoke({ ...options, print: (line) => lines.push(line) });
  return { passed, lines };
};

test('passes against the local relay: health, 401, SmartConnect refusing an unknown code, then pair, purchase and outcome', async () => {
  const { passed, lines } = await run({ url: relay.url, key: relay.apiKey, simulator: relay.simulator!.origin });
  expect(lines.slice(1)).toEqual([
    '✓ health: ok, stage dev',
    '✓ no key → 401: 401 unauthorized, WWW-Authenticate: Bearer',
    '✓ pairing with an unknown code → SmartConnect refuses: SmartConnect answered: Invalid Pairing Code. Please make sure you entered the code correctly',
    expect.stringMatching(/^✓ pair a register with the simulated terminal: paired relay-smoke-/),
    expect.stringMatching(/^✓ start a \$12\.50 purchase: 202 PENDING, id [0-9a-f-]{36}$/),
    '✓ outcome: COMPLETED APPROVED, amountTotal 1250',
    'All smoke steps passed.',
  ]);
  expect(passed).toBe(true);
  // The key is never printed.
  expect(lines.join('\n')).not.toContain(relay.apiKey);
}, 60_000);

test('without a simulator it stops after the refused pairing: nothing is paired and no money moves', async () => {
  const { passed, lines } = await run({ url: `${relay.url}/`, key: relay.apiKey });
  expect(passed).toBe(true);
  expect(lines.filter((l) => l.startsWith('✓'))).toHaveLength(3);
});

test('fails at the pairing step when the key is refused', async () => {
  const { passed, lines } = await run({ url: relay.url, key: 'scr_wrong_key' });
  expect(passed).toBe(false);
  expect(lines.at(-1)).toBe('✗ pairing with an unknown code → SmartConnect refuses: 401: the key was refused (wrong, revoked, or for another stage)');
});

test('exits non-zero with a clear first failure against a relay that is down', async () => {
  const script = fileURLToPath(new URL('../../scripts/smoke.ts', import.meta.url));
  // A port that was just free: nothing listens there any more.
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const down = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise((resolve) => probe.close(resolve));
  const result = await new Promise<{ code: number | null; stdout: string }>((resolve) =>
    execFile(process.execPath, [script, '--url', down, '--key', 'k'], { timeout: 30_000 }, (error, stdout) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout }),
    ),
  );
  expect(result.code).toBe(1);
  expect(result.stdout).toContain(`✗ health: GET ${down}/health got no answer: ECONNREFUSED`);
  expect(result.stdout).not.toContain('✓');
});
