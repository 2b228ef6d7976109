/** Prints the seed and clears the figures of an earlier run. */
import { rmSync } from 'node:fs';
import { figuresDir } from './figures.ts';
import { reliabilitySeed } from './seed.ts';

export default function globalSetup(): void {
  rmSync(figuresDir, { recursive: true, force: true });
  console.log(`\nreliability: seed ${reliabilitySeed()} (repeat with RELIABILITY_SEED=${reliabilitySeed()})`);
}
