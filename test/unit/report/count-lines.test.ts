import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { RunStats } from '../../../src/core/run-stats.ts';
import { countLinesInBackground } from '../../../src/report/count-lines.ts';
import { statusLine } from '../../../src/report/progress.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-count-'));

async function counted(text: string): Promise<number | undefined> {
  const path = join(dir, `f-${Math.random()}.jsonl`);
  writeFileSync(path, text);
  const counter = countLinesInBackground(path);
  for (let i = 0; i < 200 && counter.total() === undefined; i++) await sleep(5);
  return counter.total();
}

test('counts lines, with or without a final newline; a missing file leaves the total unknown', async () => {
  assert.equal(await counted('a\nb\n\nc\n'), 4);
  assert.equal(await counted('a\nb'), 2);
  assert.equal(await counted(''), 0);
  const missing = countLinesInBackground(join(dir, 'absent.jsonl'));
  await sleep(50);
  assert.equal(missing.total(), undefined);
});

test('progress against a line total counts skipped empty lines as passed', () => {
  const stats = Object.assign(new RunStats(), { recordsOut: 6, emptyLines: 2 });
  const line = statusLine(stats, { perSecond: 2, total: 10 });
  assert.match(line, /80\.0%/);
  assert.match(line, /ETA 1\.0s/);
});
