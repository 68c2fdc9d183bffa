/** N distinct review records for tests, cycling through the bundled samples' texts with unique ids. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.ts';

export function reviewRecords(
  count: number,
  prefix = 'r',
): Array<{ id: string; text: string; category: string; label: string }> {
  const samples = ['examples/reviews-en.sample.jsonl', 'examples/chinese-reviews-by-team.sample.jsonl']
    .flatMap((f) => readFileSync(join(ROOT, f), 'utf8').trim().split('\n'))
    .map((line) => JSON.parse(line) as { text: string; category: string; label: string });
  return Array.from({ length: count }, (_, i) => {
    const sample = samples[i % samples.length]!;
    // The index in the text makes every prompt (and so every simulated answer's seed) distinct.
    return { id: `${prefix}-${i}`, text: `${sample.text} (#${i})`, category: sample.category, label: sample.label };
  });
}

export function toJsonl(records: readonly object[]): string {
  return `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;
}
