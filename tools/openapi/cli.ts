/**
 * `npm run openapi`: writes docs/openapi.json and the client's generated types from the relay's
 * schemas. `npm run openapi -- --check` writes nothing and exits 1 when either file is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildOpenApiDocument } from './document.ts';
import { generateTypes } from './typescript-types.ts';

export const openApiPath = fileURLToPath(new URL('../../docs/openapi.json', import.meta.url));
export const clientTypesPath = fileURLToPath(new URL('../../client/src/generated-types.ts', import.meta.url));

/** The files as they should be, path → content. */
export function generatedFiles(): Record<string, string> {
  const document = buildOpenApiDocument();
  return { [openApiPath]: `${JSON.stringify(document, null, 2)}\n`, [clientTypesPath]: generateTypes(document) };
}

const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  const stale = Object.entries(generatedFiles()).filter(([path, content]) => read(path) !== content);
  if (check) {
    for (const [path] of stale) console.error(`stale: ${path} (run npm run openapi)`);
    process.exit(stale.length ? 1 : 0);
  }
  for (const [path, content] of stale) writeFileSync(path, content);
  console.log(stale.length ? `wrote ${stale.map(([p]) => p.replace(process.cwd() + '/', '')).join(', ')}` : 'up to date');
}
