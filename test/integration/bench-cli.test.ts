import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.ts';

/**
 * `sluice bench` as a user runs it: the CLI (bundled, scripts/bundle-cli.mjs) starts the simulator as a child
 * process of its own bin and writes its report. A path resolved against the wrong file of the bundle once made
 * every bench fail before its first call ("Cannot find module …/dist/bin/sluice.js").
 */
test('sluice bench runs its strategies against a simulator process and writes JSON, Markdown and SVG', async () => {
  const out = mkdtempSync(join(tmpdir(), 'sluice-bench-cli-'));
  const result = await runCli([
    'bench',
    '--profile',
    'null',
    '--strategies',
    'sequential,sluice-auto',
    '--items',
    '6',
    '--out',
    out,
  ]);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(readFileSync(join(out, 'bench.json'), 'utf8')) as {
    results: Array<{ profile: string; strategies: Array<{ strategy: string; measures: { succeeded: number } }> }>;
  };
  assert.deepEqual(
    report.results.map((r) => r.profile),
    ['null'],
  );
  assert.deepEqual(
    report.results[0]?.strategies.map((s) => [s.strategy, s.measures.succeeded]),
    [
      ['sequential', 6],
      ['sluice-auto', 6],
    ],
  );
  assert.match(readFileSync(join(out, 'bench.md'), 'utf8'), /sluice-auto/);
  assert.match(readFileSync(join(out, 'null.svg'), 'utf8'), /^<svg/);
});
