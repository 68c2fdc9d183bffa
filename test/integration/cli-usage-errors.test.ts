/**
 * What a newcomer's command-line mistakes print (the CLI as a child process): a short error that stays on screen,
 * exit 2, nothing processed — not megabytes of YAML errors for a data file given as the pipeline, not the whole
 * help text after an unknown option, and no stack trace.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
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

  test('--version prints the package version on stdout and exits 0', async () => {
    const run = await runCli(['--version']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^\d+\.\d+\.\d+\n$/);
  });
});
