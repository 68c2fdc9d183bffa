/**
 * Benchmark input: review lines (JSON Lines), deterministic.
 *
 * - `loadReviewLines(count)`: the JSON Lines file named by SLUICE_BENCH_REVIEWS (real reviews, e.g. the whole
 *   dataset examples/reviews-en.sample.jsonl is drawn from) cycled to `count` lines, ids made unique, when set;
 *   else synthetic reviews. Says which in `origin`.
 * - `generateReviews(count)`: synthetic reviews from a seeded PRNG (mulberry32), English and Chinese mixed,
 *   lengths spread like real reviews (20–600 characters).
 *
 * CLI: `npx tsx bench/data/generate-reviews.ts 1000000 > /tmp/reviews-1m.jsonl` (synthetic only, any size).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRng } from '../../src/sim/rng.ts';

/** A JSON Lines file of real reviews to benchmark on, instead of synthetic ones. */
const REVIEWS_FILE = process.env.SLUICE_BENCH_REVIEWS;

const EN_WORDS =
  'the fabric is soft and the fit runs small but the color is lovely battery lasts all day screen cracked after a week shipping was fast great value for the price would buy again sizing chart is wrong zipper broke quickly comfortable for long walks sound quality is clear customer service never answered'.split(
    ' ',
  );
const ZH_PHRASES = [
  '质量很好',
  '物流很快',
  '尺码偏小',
  '颜色和图片一样',
  '电池不耐用',
  '性价比高',
  '客服态度好',
  '包装破损',
  '会回购',
  '做工粗糙',
];
const CATEGORIES = ['Dresses', 'Electronics', 'Shoes', 'Home', 'Beauty', 'Toys'];

export function* generateReviews(count: number, seed = 42): Generator<string> {
  const random = createRng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  for (let i = 0; i < count; i++) {
    const chinese = random() < 0.3;
    const target = 20 + Math.floor(random() * random() * 580);
    let text = '';
    while (text.length < target) text += chinese ? `${pick(ZH_PHRASES)}，` : `${pick(EN_WORDS)} `;
    yield JSON.stringify({
      id: `gen-${i}`,
      text: text.trim(),
      label: String(1 + Math.floor(random() * 5)),
      category: pick(CATEGORIES),
    });
  }
}

export interface ReviewLines {
  readonly lines: string[];
  /** Where the lines came from, for the report. */
  readonly origin: string;
}

export function loadReviewLines(count: number): ReviewLines {
  if (REVIEWS_FILE && existsSync(REVIEWS_FILE)) {
    const base = readFileSync(REVIEWS_FILE, 'utf8')
      .split('\n')
      .filter((line) => line.trim().length > 0);
    const lines: string[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const line = base[i % base.length] as string;
      const round = Math.floor(i / base.length);
      // Unique ids on every round after the first; same length profile as the real data.
      lines[i] = round === 0 ? line : line.replace(/^\{"id": "/, `{"id": "r${round}-`);
    }
    return { lines, origin: `SLUICE_BENCH_REVIEWS (${base.length} real reviews) cycled to ${count} lines` };
  }
  return {
    lines: [...generateReviews(count)],
    origin: `${count} synthetic reviews (bench/data/generate-reviews.ts, seed 42)`,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const count = Number(process.argv[2] ?? 100_000);
  if (!Number.isInteger(count) || count < 1) {
    process.stderr.write('usage: generate-reviews.ts COUNT > reviews.jsonl\n');
    process.exitCode = 2;
  } else {
    let buffer = '';
    for (const line of generateReviews(count)) {
      buffer += `${line}\n`;
      if (buffer.length > 1 << 20) {
        process.stdout.write(buffer);
        buffer = '';
      }
    }
    process.stdout.write(buffer);
  }
}
