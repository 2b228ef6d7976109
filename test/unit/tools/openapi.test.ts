import { describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from '@readme/openapi-parser';
import { relayRoutes } from '../../../functions/routes.ts';
import { generatedFiles, openApiPath } from '../../../tools/openapi/cli.ts';

const repo = new URL('../../../', import.meta.url).pathname;
const committed = JSON.parse(readFileSync(openApiPath, 'utf8')) as {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { 'x-problem-codes'?: string[] }>; security?: unknown[] }>>;
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('docs/openapi.json', () => {
  test('is what `npm run openapi` generates now (docs and client types)', () => {
    for (const [path, content] of Object.entries(generatedFiles())) {
      // On failure: run `npm run openapi` and commit the result.
      expect({ path, content: readFileSync(path, 'utf8') }).toEqual({ path, content });
    }
  });

  test('is valid OpenAPI 3.1 for a maintained validator', async () => {
    expect(committed.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(committed) as never);
    expect(result).toMatchObject({ valid: true });
  });

  test('describes every route of functions/routes.ts, and only those', () => {
    const documented = Object.entries(committed.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(relayRoutes.map((r) => `${r.method} ${r.path}`).sort());
    for (const route of relayRoutes) {
      const op = committed.paths[route.path]![route.method.toLowerCase()]!;
      // Public routes opt out of the document-wide API key requirement; all others keep it.
      expect(op.security).toEqual(route.public ? [] : undefined);
      if (!route.public) expect(op.responses['401']?.['x-problem-codes']).toContain('unauthorized');
    }
  });

  test('names every problem code the sources can raise', () => {
    const documented = new Set(
      Object.values(committed.paths).flatMap((ops) => Object.values(ops).flatMap((op) => Object.values(op.responses).flatMap((r) => r['x-problem-codes'] ?? []))),
    );
    const raised = new Set<string>();
    // functions/ and, as the shared code moves into domain folders, lib/.
    const roots = ['functions', 'lib'].map((dir) => join(repo, dir)).filter((dir) => existsSync(dir));
    for (const file of [...roots.flatMap(sources), join(repo, 'infra/gateway-problems.ts'), join(repo, 'infra/web-firewall.ts')]) {
      // `addIssue({ code: 'custom' })` is a zod issue code, not a problem the relay answers.
      for (const match of readFileSync(file, 'utf8').matchAll(/(addIssue\(\{ )?\bcode: '([a-z][a-z0-9-]+)'/g)) if (!match[1]) raised.add(match[2]!);
    }
    expect(raised.size).toBeGreaterThan(20);
    expect([...raised].filter((code) => !documented.has(code))).toEqual([]);
  });
});
