/**
 * A full disk under the output (the CLI as a child process, the real simulator): one line naming the file and
 * ENOSPC, the summary with what is done, the resume hint, the --summary-json file, no stack trace — and, once
 * there is room, `--resume` completes the job with every record exactly once.
 *
 * `/dev/full` (every write fails with ENOSPC) needs nothing special. The resume case needs a small real tmpfs: it
 * runs where this process may mount one (root on Linux) and is skipped, saying so, elsewhere.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from '../../src/sim/index.ts';
import { ROOT, runCli } from '../support/cli.ts';
import { reviewRecords, toJsonl } from '../support/review-records.ts';

const PIPELINE = join(ROOT, 'pipelines/review-insights.yaml');
const dir = mkdtempSync(join(tmpdir(), 'sluice-write-failure-'));
let sim: Simulator;
let env: Record<string, string>;

before(async () => {
  sim = await startSimulator({ profile: 'null', seed: 6 });
  env = { SLUICE_BASE_URL: sim.url, OPENAI_API_KEY: 'sk-test-write-failure-0000' };
});
after(() => sim.close());

test('an output on a full device: ENOSPC and the file named in one line, the summary, the resume hint, --summary-json; exit 1', {
  skip: !existsSync('/dev/full') && 'no /dev/full here',
}, async () => {
  const input = join(dir, 'reviews.jsonl');
  writeFileSync(input, toJsonl(reviewRecords(200)));
  const summary = join(dir, 'summary.json');
  const run = await runCli(
    [
      'run',
      PIPELINE,
      '-i',
      input,
      '-o',
      '/dev/full',
      '--dead-letter',
      join(dir, 'dl.jsonl'),
      '--summary-json',
      summary,
      '--no-progress',
    ],
    { env },
  );
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /^sluice: cannot write \/dev\/full: no space left on device \(ENOSPC\)$/m);
  assert.match(
    run.stderr,
    /sluice: stopped \(write_failed\) — in \d+ = out 0 \+ dead letters 0 \+ skipped 0 \+ unfinished \d+/,
  );
  assert.match(run.stderr, /resume with the same command plus --resume/);
  assert.doesNotMatch(run.stderr, /\n\s+at |channel/, 'no stack trace, no internal message');
  const written = JSON.parse(readFileSync(summary, 'utf8')) as { stopReason: string; recordsOut: number };
  assert.equal(written.stopReason, 'write_failed');
  assert.equal(written.recordsOut, 0);
});

const canMount = process.platform === 'linux' && process.getuid?.() === 0 && tryMount();

function tryMount(): boolean {
  const probe = join(dir, 'probe');
  mkdirSync(probe);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('a tmpfs that fills up mid-job, then grows: --resume completes it, every record exactly once', {
  skip: !canMount && 'cannot mount a tmpfs here (needs root on Linux)',
}, async () => {
  const records = reviewRecords(300, 't');
  const input = join(dir, 'tmpfs-reviews.jsonl');
  writeFileSync(input, toJsonl(records));
  const mountPoint = join(dir, 'small-disk');
  mkdirSync(mountPoint);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48k', 'tmpfs', mountPoint]);
  try {
    const output = join(mountPoint, 'insights.jsonl');
    const full = await runCli(['run', PIPELINE, '-i', input, '-o', output, '--no-progress'], { env });
    assert.equal(full.code, 1, full.stderr);
    assert.match(full.stderr, /cannot write .*insights\.jsonl: no space left on device \(ENOSPC\)/);
    execFileSync('mount', ['-o', 'remount,size=1m', mountPoint]);
    const resumed = await runCli(['run', PIPELINE, '-i', input, '-o', output, '--resume', '--no-progress'], { env });
    assert.equal(resumed.code, 0, resumed.stderr);
    const ids = readFileSync(output, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { id: string }).id);
    assert.equal(ids.length, records.length);
    assert.equal(new Set(ids).size, records.length, 'no record twice');
  } finally {
    execFileSync('umount', [mountPoint]);
  }
});
