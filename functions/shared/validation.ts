import { z } from 'zod';
import { problems, type FieldError } from './problem.ts';

// Declarative checks (max, regex) rather than refinements, so the same schema also documents
// itself as JSON Schema. Control characters (tabs and newlines included) are never meaningful in
// a name or id, and would smuggle line breaks into terminal displays and logs.
/** A required, single-line, human-entered string of at most `max` characters. */
export const requiredText = (max: number) =>
  z
    .string({ error: 'is required and must be a string' })
    .max(max, { message: `must be at most ${max} characters` })
    .regex(/\S/, { message: 'must not be empty' })
    .regex(/^\P{Cc}*$/u, { message: 'must not contain control characters' });

export const optionalText = (max: number) => requiredText(max).optional();

/**
 * Parses input against a schema, or throws the relay's 400 problem listing every field at fault,
 * so a POS developer fixes all of them in one round trip.
 */
export function parseOrThrow<T extends z.ZodType>(schema: T, input: unknown, prefix = ''): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw problems.invalidRequest(toFieldErrors(result.error, prefix));
}

export function toFieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [path, key].filter(Boolean).join('.'), message: 'is not a known field' }));
    }
    if (issue.code === 'invalid_type' && issue.path.length === 0) {
      return [{ field: prefix || 'body', message: 'must be a JSON object' }];
    }
    return [{ field: path || 'body', message: issue.message }];
  });
}
