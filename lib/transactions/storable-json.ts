/**
 * What a request may contain so that it can be stored (DynamoDB) and sent (SmartConnect) exactly as
 * received. Anything else is refused at validation, naming the field, before anything is stored or
 * sent: otherwise it would pass validation and fail the write with a 500.
 *
 * - Numbers: finite, within ±2^53 (beyond it a JS number is a whole number that may already not
 *   be what the POS sent, and the DynamoDB marshaller refuses it), and no smaller than DynamoDB's
 *   1E-130. A double never has more than 17 significant digits, inside DynamoDB's 38. Send larger
 *   or more precise values as strings.
 * - Nesting: DynamoDB holds 32 levels; the request sits one level down in the transaction item,
 *   so a request may nest at most 30 levels (one spare).
 * - Text: well-formed Unicode only; a lone surrogate would be stored and sent as U+FFFD.
 * - Size: DynamoDB items hold 400 KB; the request is kept well under, with room for the result.
 */
import * as z from 'zod/mini';

export const storableLimits = {
  maxDepth: 30,
  maxBytes: 350 * 1024,
  minMagnitude: 1e-130,
} as const;

/** In `u` mode a surrogate pair is one code point, so this matches lone surrogates only. */
const loneSurrogate = /\p{Cs}/u;

export interface StorableIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

/** Every place in `value` that could not be stored or sent as received (at most `limit` of them). */
export function storableIssues(value: unknown, limit = 10): StorableIssue[] {
  const issues: StorableIssue[] = [];
  const walk = (node: unknown, path: (string | number)[], depth: number): void => {
    if (issues.length >= limit) return;
    if (typeof node === 'number') {
      const message = numberProblem(node);
      if (message) issues.push({ path, message });
      return;
    }
    if (typeof node === 'string') {
      if (loneSurrogate.test(node)) issues.push({ path, message: 'must be well-formed Unicode text (it contains a lone surrogate)' });
      return;
    }
    if (node === null || typeof node !== 'object') return;
    if (depth >= storableLimits.maxDepth) {
      issues.push({ path, message: `is nested too deeply: at most ${storableLimits.maxDepth} levels of objects and arrays` });
      return;
    }
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, [...path, i], depth + 1));
      return;
    }
    for (const [key, item] of Object.entries(node)) {
      if (loneSurrogate.test(key)) {
        issues.push({ path, message: 'has a field name that is not well-formed Unicode text' });
        continue;
      }
      walk(item, [...path, key], depth + 1);
    }
  };
  walk(value, [], 0);
  if (issues.length === 0 && Buffer.byteLength(JSON.stringify(value) ?? '') > storableLimits.maxBytes) {
    issues.push({ path: [], message: `is too large to store: at most ${Math.round(storableLimits.maxBytes / 1024)} KB` });
  }
  return issues;
}

function numberProblem(n: number): string | undefined {
  if (!Number.isFinite(n)) return 'must be a finite number';
  // Every double beyond 2^53 is a whole number, so this also bounds the magnitude.
  if (Math.abs(n) > Number.MAX_SAFE_INTEGER) return 'is too large to keep exactly (over 2^53): send it as a string';
  if (n !== 0 && Math.abs(n) < storableLimits.minMagnitude) return 'is too small to store (under 1E-130): send it as a string';
  return undefined;
}

/** A zod check that refuses, field by field, whatever `storableIssues` finds. */
export const storableJson = <T>() =>
  z.superRefine<T>((value, ctx) => {
    for (const issue of storableIssues(value)) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path, input: value });
  });
