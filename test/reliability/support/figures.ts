/**
 * The figures each reliability file measured. Every file writes its own JSON under
 * .tmp/reliability/ (jest runs files in separate workers); the layer's global teardown prints
 * them as one table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Figures {
  /** Requests sent to the relay. */
  requests: number;
  /** Answers with a 5xx status the relay should not have given (faults excluded). */
  serverErrors: number;
  /** The most SmartConnect POSTs seen for one Idempotency-Key (or one pairing). */
  maxUpstreamPostsPerKey: number;
  /** Transactions that were accepted but later missing or never final. */
  transactionsLost: number;
}

export const figuresDir = fileURLToPath(new URL('../../../.tmp/reliability/', import.meta.url));

export function createFigures(testFile: string): Figures & { save(): void } {
  const figures: Figures = { requests: 0, serverErrors: 0, maxUpstreamPostsPerKey: 0, transactionsLost: 0 };
  return Object.assign(figures, {
    save() {
      mkdirSync(figuresDir, { recursive: true });
      const name = basename(fileURLToPath(testFile), '.test.ts');
      const { requests, serverErrors, maxUpstreamPostsPerKey, transactionsLost } = figures;
      writeFileSync(join(figuresDir, `${name}.json`), JSON.stringify({ file: name, requests, serverErrors, maxUpstreamPostsPerKey, transactionsLost }));
    },
  });
}
