/**
 * SmartConnect's `Retry-After` (docs/smartconnect.md §2), as whole seconds the relay can pass on to
 * the POS and wait for itself. RFC 9110 allows delay-seconds or an HTTP date; anything else, or a
 * value outside 1..3600 s (`1e308`, `-5`, a date in the past or next year), must never reach the
 * POS as `Infinity`, `NaN` or a negative wait, so it is clamped into that range.
 */
export const retryAfterBounds = { minSeconds: 1, maxSeconds: 3600 } as const;

/** Whole seconds within 1..3600, or undefined when there is no usable header. */
export function parseRetryAfter(header: string | readonly string[] | undefined, now: number = Date.now()): number | undefined {
  // A repeated header is ambiguous; the longest wait is the safe reading.
  if (Array.isArray(header)) {
    const parsed = header.map((h) => parseRetryAfter(h, now)).filter((s): s is number => s !== undefined);
    return parsed.length === 0 ? undefined : Math.max(...parsed);
  }
  const text = typeof header === 'string' ? header.trim() : '';
  if (text === '') return undefined;
  let seconds: number;
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) {
    seconds = Number(text);
  } else {
    const date = Date.parse(text);
    if (Number.isNaN(date)) return undefined;
    seconds = (date - now) / 1000;
  }
  if (Number.isNaN(seconds)) return undefined;
  return Math.min(retryAfterBounds.maxSeconds, Math.max(retryAfterBounds.minSeconds, Math.ceil(seconds)));
}
