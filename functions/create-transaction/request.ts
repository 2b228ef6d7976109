import * as z from 'zod/mini';

/** Chosen by the POS per sale attempt; the same key with the same body always means the same transaction. */
export const idempotencyKeySchema = z
  .string({ error: 'is required: send a unique key per sale attempt (e.g. a UUID) and reuse it when retrying' })
  .check(z.regex(/^[\x20-\x7e]{1,255}$/, { error: 'must be 1 to 255 printable ASCII characters' }));
