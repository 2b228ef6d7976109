/**
 * Parses an HTTP request target (`req.url`) for the local server without ever throwing: malformed
 * percent-encoding, dot segments, empty segments and odd forms become a problem to answer, not an
 * exception that stops `npm start`. Query maps have no prototype, so keys such as `__proto__` or
 * `constructor` are plain data.
 */
import { problems, RelayProblem } from '#http/problem.ts';

export interface RequestTarget {
  /** The path as sent (still percent-encoded), without the query. */
  readonly path: string;
  /** Each path segment, percent-decoded. */
  readonly segments: readonly string[];
  /** Query parameters in order, decoded (`+` is a space), in prototype-free maps. */
  readonly query: Record<string, string>;
  readonly multiQuery: Record<string, string[]>;
  readonly hasQuery: boolean;
}

export type ParsedTarget = { readonly ok: true; readonly target: RequestTarget } | { readonly ok: false; readonly problem: RelayProblem };

/** Longest request target echoed back in a problem, so an answer never grows with the attack. */
const echoLimit = 200;

export const badRequestTarget = (detail: string) =>
  new RelayProblem({ status: 400, code: 'invalid-request-target', title: 'The request target is not valid', detail });

export function parseRequestTarget(method: string, raw: string | undefined): ParsedTarget {
  const target = raw ?? '/';
  // Origin form only: the relay is not a proxy, and `*` (OPTIONS *) names no route.
  if (!target.startsWith('/')) return fail(`The request target must be a path starting with "/" (got "${clip(target)}").`);
  const hash = target.indexOf('#');
  const withoutFragment = hash === -1 ? target : target.slice(0, hash);
  const mark = withoutFragment.indexOf('?');
  const path = mark === -1 ? withoutFragment : withoutFragment.slice(0, mark);
  const rawQuery = mark === -1 ? '' : withoutFragment.slice(mark + 1);

  const rawSegments = path.split('/').slice(1);
  // A trailing slash is tolerated (`/transactions/`), like the route patterns allow.
  if (rawSegments.length > 1 && rawSegments.at(-1) === '') rawSegments.pop();
  const segments: string[] = [];
  for (const segment of rawSegments) {
    const decoded = decode(segment);
    if (decoded === undefined) return fail(`The path "${clip(path)}" has malformed percent-encoding.`);
    if (decoded === '.' || decoded === '..') return fail(`The path "${clip(path)}" has a "." or ".." segment.`);
    segments.push(decoded);
  }
  // `//` and friends: no route has an empty segment (the root `/` is the one exception).
  if (segments.some((s) => s === '') && !(segments.length === 1 && path === '/')) {
    return { ok: false, problem: problems.routeNotFound(method, clip(path)) };
  }

  const query: Record<string, string> = Object.create(null) as Record<string, string>;
  const multiQuery: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  let hasQuery = false;
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decode((eq === -1 ? pair : pair.slice(0, eq)).replaceAll('+', ' '));
    const value = decode((eq === -1 ? '' : pair.slice(eq + 1)).replaceAll('+', ' '));
    if (name === undefined || value === undefined) return fail('The query string has malformed percent-encoding.');
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
    hasQuery = true;
  }
  return { ok: true, target: { path, segments, query, multiQuery, hasQuery } };
}

function decode(text: string): string | undefined {
  try {
    const decoded = decodeURIComponent(text);
    // Lone surrogates (from %ED%A0%80 and the like) are not text a route or a handler can use.
    return /\p{Cs}/u.test(decoded) ? undefined : decoded;
  } catch {
    return undefined;
  }
}

const clip = (text: string) => (text.length > echoLimit ? `${text.slice(0, echoLimit)}…` : text);

const fail = (detail: string): ParsedTarget => ({ ok: false, problem: badRequestTarget(detail) });
