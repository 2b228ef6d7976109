import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const clientDir = fileURLToPath(new URL('../../../client/', import.meta.url));
const tsc = fileURLToPath(new URL('../../../node_modules/.bin/tsc', import.meta.url));

describe('client/ as a package', () => {
  test('has no runtime dependencies and imports nothing but its own files (the platform fetch does the work)', () => {
    const manifest = JSON.parse(readFileSync(join(clientDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(manifest.peerDependencies).toBeUndefined();
    for (const file of readdirSync(join(clientDir, 'src'))) {
      const imports = [...readFileSync(join(clientDir, 'src', file), 'utf8').matchAll(/^(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]);
      expect({ file, outside: imports.filter((spec) => !spec!.startsWith('./')) }).toEqual({ file, outside: [] });
    }
  });

  test('builds (npm run build in client/) to JavaScript and declarations that load', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'relay-client-'));
    execFileSync(tsc, ['-p', join(clientDir, 'tsconfig.json'), '--outDir', outDir], { stdio: 'pipe' });
    expect(existsSync(join(outDir, 'index.d.ts'))).toBe(true);
    expect(readFileSync(join(outDir, 'index.d.ts'), 'utf8')).toContain('waitForOutcome(transactionId: string');
    const built = (await import(pathToFileURL(join(outDir, 'index.js')).href)) as Record<string, unknown>;
    expect(Object.keys(built).sort()).toEqual(['RelayClient', 'RelayProblemError', 'isFinal', 'problemCodes', 'verifyWebhookSignature']);
    expect(built.problemCodes).toContain('outcome-unknown');
  }, 60_000);
});
