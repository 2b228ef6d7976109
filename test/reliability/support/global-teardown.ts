/** Prints what the reliability layer measured, one row per file and a total. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { figuresDir, type Figures } from './figures.ts';
import { reliabilitySeed } from './seed.ts';

export default function globalTeardown(): void {
  if (!existsSync(figuresDir)) return;
  const rows = readdirSync(figuresDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(figuresDir, f), 'utf8')) as Figures & { file: string });
  const total = rows.reduce(
    (sum, r) => ({
      file: 'total',
      requests: sum.requests + r.requests,
      serverErrors: sum.serverErrors + r.serverErrors,
      maxUpstreamPostsPerKey: Math.max(sum.maxUpstreamPostsPerKey, r.maxUpstreamPostsPerKey),
      transactionsLost: sum.transactionsLost + r.transactionsLost,
    }),
    { file: 'total', requests: 0, serverErrors: 0, maxUpstreamPostsPerKey: 0, transactionsLost: 0 },
  );
  const header = ['file', 'requests tried', '5xx', 'max upstream POSTs per key', 'transactions lost'];
  const lines = [...rows, total].map((r) => [r.file, r.requests, r.serverErrors, r.maxUpstreamPostsPerKey, r.transactionsLost].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(
    [
      '',
      `reliability figures (seed ${reliabilitySeed()})`,
      format(header),
      `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
      ...lines.map(format),
      '',
    ].join('\n'),
  );
}
