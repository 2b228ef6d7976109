/**
 * CORS for browser POS front-ends, in one place for the three parties that must agree: the
 * handlers' answers (http.ts), API Gateway's preflights (infra) and the local server's preflights.
 * The allowed origins themselves are per stage (infra/stages.ts → CORS_ALLOWED_ORIGINS).
 */
export const corsAllowHeaders = ['Authorization', 'Content-Type', 'Idempotency-Key'] as const;
export const corsExposeHeaders = ['Location', 'Idempotent-Replayed', 'Retry-After'] as const;
/** How long a browser may reuse a preflight answer. */
export const corsMaxAgeSeconds = 600;
