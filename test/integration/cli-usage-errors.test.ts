/**
 * What a newcomer's command-line mistakes print (the CLI as a child process): a short error that stays on screen,
 * exit 2, nothing processed — not megabytes of YAML errors for a data file given as the pipeline, not the whole
 * help text after an unknown option, and no stack trace.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { startSimulator } from '../../src/sim/index.ts';
import { ROOT, runCli } from '../support/cli.ts';
import { reviewRecords, toJsonl } from '../support/review-records.ts';

const PIPELINE = join(ROOT, 'pipelines/review-insights.yaml');
const dir = mkdtempSync(join(tmpdir(), 'sluice-usage-'));

describe('command-line mistakes (CLI)', () => {
  test('the data file given where the pipeline goes (`sluice run data.jsonl`): a few lines saying so, exit 2', async () => {
    const data = join(dir, 'data.jsonl');
    writeFileSync(data, toJsonl(reviewRecords(2000)));
    const run = await runCli(['run', data, '--no-progress']);
    assert.equal(run.code, 2, run.stderr);
    assert.ok(run.stderr.length < 2000, `${run.stderr.length} bytes of errors:\n${run.stderr.slice(0, 3000)}`);
    assert.match(run.stderr, /data\.jsonl looks like a data file \(JSON\), not a pipeline/);
    assert.match(run.stderr, /sluice run PIPELINE\.yaml -i .*data\.jsonl/);
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  });

  test('a one-line JSON file (valid YAML, so no syntax error) gets the same hint', async () => {
    const data = join(dir, 'one.json');
    writeFileSync(data, '{"id": 1, "text": "great"}\n');
    const run = await runCli(['run', data]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /one\.json looks like a data file \(JSON\), not a pipeline/);
  });

  test('a YAML file with many syntax errors lists the first few and how many more', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, Array.from({ length: 200 }, (_, i) => `key${i}: [unclosed ${i}\n  - : :`).join('\n'));
    const run = await runCli(['run', bad]);
    assert.equal(run.code, 2, run.stderr);
    assert.ok(run.stderr.length < 3000, `${run.stderr.length} bytes of errors`);
    assert.match(run.stderr, /and \d+ more/);
  });

  test('an unknown option: the error and where to find the options, not the whole help', async () => {
    const run = await runCli(['run', PIPELINE, '--bogus']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /unknown option '--bogus'/);
    assert.ok(run.stderr.trim().split('\n').length <= 3, run.stderr);
    assert.match(run.stderr, /sluice run --help/);
  });

  test('a prompt field no record has ({txt} for {text}): stops after the first 10 records with exit 2 naming it, no model call', async () => {
    const sim = await startSimulator({ profile: 'null' });
    try {
      const pipeline = join(dir, 'typo.yaml');
      writeFileSync(pipeline, readFileSync(PIPELINE, 'utf8').replace('Review: {text}', 'Review: {txt}'));
      const input = join(dir, 'reviews.jsonl');
      const output = join(dir, 'typo-out.jsonl');
      writeFileSync(input, toJsonl(reviewRecords(500)));
      const run = await runCli(['run', pipeline, '-i', input, '-o', output, '--no-progress'], {
        env: { SLUICE_BASE_URL: sim.url, OPENAI_API_KEY: 'sk-test-typo-0000' },
      });
      assert.equal(run.code, 2, run.stderr);
      assert.match(
        run.stderr,
        /the prompt uses \{txt\}, which none of the first 10 records has \(they have: id, text, category, label\)/,
      );
      assert.doesNotMatch(run.stderr, /--resume/, 'the same command would stop again: no resume advice');
      assert.equal(sim.stats().received, 0);
      const dead = readFileSync(join(dir, 'typo-out.dead-letters.jsonl'), 'utf8').trim().split('\n');
      assert.equal(dead.length, 10, 'the first 10 records, not the 500');
      assert.ok(existsSync(output));
    } finally {
      await sim.close();
    }
  });

  test('--version prints the package version on stdout and exits 0', async () => {
    const run = await runCli(['--version']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^\d+\.\d+\.\d+\n$/);
  });
});
