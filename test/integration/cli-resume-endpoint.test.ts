/**
 * After a job stopped because the endpoint was unusable (exit 6: here a wrong base URL path, 404 for every call),
 * `--resume` with the endpoint fixed completes it: the records dead-lettered before the stop failed only at the
 * endpoint, so they are done again, and exit 0 means every record is in the output. Records an earlier run
 * dead-lettered for a reason of their own stay dead letters, and the resumed run then exits 3, not 0.
 * CLI as a child process against the real simulator.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from '../../src/sim/index.ts';
import { ROOT, runCli } from '../support/cli.ts';
import { reviewRecords, toJsonl } from '../support/review-records.ts';

const PIPELINE = join(ROOT, 'pipelines/review-insights.yaml');
const dir = mkdtempSync(join(tmpdir(), 'sluice-resume-endpoint-'));
let sim: Simulator;

before(async () => {
  sim = await startSimulator({ profile: 'null', seed: 4 });
});
after(() => sim.close());

const envFor = (baseUrl: string) => ({ SLUICE_BASE_URL: baseUrl, OPENAI_API_KEY: 'sk-test-resume-endpoint-0000' });
const lines = (path: string) =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { id: string; reason?: string })
    : [];

test('exit 6 on a wrong base URL, then --resume with the right one: every record in the output, no dead letter left, exit 0', async () => {
  const records = reviewRecords(100, 'e');
  const input = join(dir, 'reviews.jsonl');
  const output = join(dir, 'insights.jsonl');
  const deadLetters = join(dir, 'insights.dead-letters.jsonl');
  writeFileSync(input, toJsonl(records));

  const wrong = sim.url.replace(/\/v1$/, '/v2'); // the simulator answers 404 "Invalid URL" there
  const stopped = await runCli(['run', PIPELINE, '-i', input, '-o', output, '--no-progress'], { env: envFor(wrong) });
  assert.equal(stopped.code, 6, stopped.stderr);
  const dead = lines(deadLetters);
  assert.ok(dead.length > 0, 'records dead-lettered before the stop');
  assert.ok(
    dead.every((d) => d.reason === 'not_found'),
    JSON.stringify(dead.map((d) => d.reason)),
  );

  const resumed = await runCli(['run', PIPELINE, '-i', input, '-o', output, '--resume', '--no-progress'], {
    env: envFor(sim.url),
  });
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`${dead.length} that failed only at the endpoint will be done again`));
  assert.deepEqual(
    lines(output)
      .map((r) => r.id)
      .sort(),
    records.map((r) => r.id).sort(),
    'every record once in the output',
  );
  assert.equal(existsSync(deadLetters), false, 'no dead letter is left: the file held endpoint failures only');
});

test('--resume keeps the dead letters of records that failed for their own reason and exits 3 for them', async () => {
  const records = reviewRecords(20, 'k');
  const input = join(dir, 'mixed.jsonl');
  const output = join(dir, 'mixed-out.jsonl');
  const deadLetters = join(dir, 'mixed-out.dead-letters.jsonl');
  writeFileSync(input, `${toJsonl(records)}{"id": "broken", "text": \n`);

  const first = await runCli(['run', PIPELINE, '-i', input, '-o', output, '--no-progress'], { env: envFor(sim.url) });
  assert.equal(first.code, 3, first.stderr);
  const resumed = await runCli(['run', PIPELINE, '-i', input, '-o', output, '--resume', '--no-progress'], {
    env: envFor(sim.url),
  });
  assert.equal(
    resumed.code,
    3,
    `the broken line is still a dead letter, so not every record is in the output\n${resumed.stderr}`,
  );
  assert.match(resumed.stderr, /skipped 1 records an earlier run dead-lettered/);
  assert.deepEqual(
    lines(deadLetters).map((d) => d.reason),
    ['invalid_json'],
  );
  assert.equal(lines(output).length, 20);
});
