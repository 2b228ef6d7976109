/**
 * One seed for the whole reliability layer, so a failing run can be repeated exactly:
 * RELIABILITY_SEED=<n> npm run test:reliability.
 */
export const defaultSeed = 20_261_201;

export function reliabilitySeed(): number {
  const raw = process.env.RELIABILITY_SEED;
  if (raw === undefined || raw.trim() === '') return defaultSeed;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`RELIABILITY_SEED must be an integer, got ${JSON.stringify(raw)}`);
  return seed;
}

/** A small seeded PRNG (mulberry32) for choices made outside fast-check. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
