/**
 * Checks a real answer against docs/openapi.json: the route and status must be documented, and
 * the body must match that response's schema (JSON Schema 2020-12, OpenAPI 3.1's dialect, by ajv).
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';

type Json = Record<string, any>;

const documentId = 'https://relay.local/openapi.json';
const document = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8')) as Json;

// strict: false, because the document's other members (paths, info…) are not JSON Schema keywords.
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
ajv.addFormat('date-time', (value: string) => !Number.isNaN(Date.parse(value)) && /^\d{4}-\d\d-\d\dT/.test(value));
ajv.addFormat('email', /^[^@\s]+@[^@\s]+$/);
ajv.addSchema({ ...document, $id: documentId });

const pointer = (...parts: string[]) => parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

/** The documented path template a concrete path belongs to. */
function templateOf(path: string): string | undefined {
  const segments = path.split('?')[0]!.split('/');
  return Object.keys(document.paths).find((template) => {
    const parts = template.split('/');
    return parts.length === segments.length && parts.every((part, i) => part.startsWith('{') || part === segments[i]);
  });
}

export interface CheckedAnswer {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly contentType: string | null;
  readonly body: unknown;
}

/** Throws, naming what differs, unless the answer is one the document describes. */
export function assertDocumented(answer: CheckedAnswer): { template: string; statusKey: string } {
  const where = `${answer.method} ${answer.path} → ${answer.status}`;
  const template = templateOf(answer.path);
  const operation = template && document.paths[template][answer.method.toLowerCase()];
  if (!template || !operation) throw new Error(`${where}: no such operation in docs/openapi.json`);
  const statusKey = [String(answer.status), `${String(answer.status)[0]}XX`].find((key) => operation.responses[key]);
  if (!statusKey) throw new Error(`${where}: status not documented (documented: ${Object.keys(operation.responses).join(', ')})`);
  // A documented answer without content (204): the body must be empty.
  if (!operation.responses[statusKey].content && (answer.body === undefined || answer.body === '')) return { template, statusKey };
  const mediaType = (answer.contentType ?? '').split(';')[0]!.trim();
  const content = operation.responses[statusKey].content?.[mediaType];
  if (!content) throw new Error(`${where}: content type ${mediaType} not documented for ${statusKey}`);
  const ref = `${documentId}#/${pointer('paths', template, answer.method.toLowerCase(), 'responses', statusKey, 'content', mediaType, 'schema')}`;
  const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
  if (!validate(answer.body)) throw new Error(`${where}: body does not match the document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(answer.body).slice(0, 500)}`);
  return { template, statusKey };
}
