/**
 * How deeply a JSON text nests, measured on the text itself in one loop: no recursion, so a body
 * of 60 000 `[` cannot blow the stack, and nothing is parsed before the answer is known.
 */

/** Deepest nesting a request body may have: far above any real sale, far below what hurts. */
export const maxJsonDepth = 64;

/** True when `text` opens more than `max` arrays/objects inside one another (strings are skipped). */
export function jsonNestsDeeperThan(text: string, max: number = maxJsonDepth): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}
