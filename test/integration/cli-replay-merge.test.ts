/**
 * `sluice replay DEAD_LETTERS -o OUTPUT` where OUTPUT is the finished output the dead letters came from: the
 * natural "merge the retries back" command. The replay appends to it (never truncates it) and skips records the
 * output already holds, so replaying the same dead letters twice writes nothing twice. CLI as a child process
 * against the real simulator.
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
const dir = mkdtempSync(join(tmpdir(), 'sluice-replay-merge-'));
let sim: Simulator;
let env: Record<string, string>;

before(async () => {
  sim = await startSimulator({ profile: 'null', seed: 3 });
  env = { SLUICE_BASE_URL: sim.url, OPENAI_API_KEY: 'sk-test-replay-merge-0000' };
});
after(() => sim.close());

function ids(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { id: string }).id);
}

test('replay into the finished output appends the recovered records and keeps every earlier line; a second replay adds nothing', async () => {
  // 30 good records and 5 whose answer is refused once (500 after admission, retries off): they dead-letter.
  const good = reviewRecords(30, 'ok');
  const flaky = reviewRecords(5, 'flaky').map((r) => ({ ...r, text: `${r.text} [[sim:status=500]]` }));
  const input = join(dir, 'reviews.jsonl');
  const output = join(dir, 'insights.jsonl');
  writeFileSync(input, toJsonl([...good, ...flaky]));
  const first = await runCli(['run', PIPELINE, '-i', input, '-o', output, '--max-attempts', '1', '--no-progress'], {
    env,
  });
  assert.equal(first.code, 3, first.stderr);
  const deadLetters = join(dir, 'insights.dead-letters.jsonl');
  assert.equal(ids(output).length, 30);
  assert.equal(ids(deadLetters).length, 5);
  const before = readFileSync(output, 'utf8');

  // The directive is in the raw input of each dead letter: rewrite it away, as a user fixes the cause.
  writeFileSync(deadLetters, readFileSync(deadLetters, 'utf8').replaceAll(' [[sim:status=500]]', ''));
  const replay = await runCli(['replay', deadLetters, '-o', output, '--no-progress'], { env });
  assert.equal(replay.code, 0, replay.stderr);
  const after = readFileSync(output, 'utf8');
  assert.ok(after.startsWith(before), 'every line of the finished output is still there, unchanged');
  assert.deepEqual(ids(output).sort(), [...good, ...flaky].map((r) => r.id).sort());
  assert.match(replay.stderr, /appending to .*insights\.jsonl/);

  const again = await runCli(['replay', deadLetters, '-o', output, '--no-progress'], { env });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(readFileSync(output, 'utf8'), after, 'a second replay of the same dead letters writes nothing twice');
  assert.match(again.stderr, /skipped 5/);
  assert.equal(existsSync(join(dir, 'insights.dead-letters.remaining.jsonl')), false, 'nothing failed again');
});
