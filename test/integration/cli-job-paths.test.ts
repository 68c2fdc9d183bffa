/**
 * The files a job touches, through the real CLI (a child process) with the simulator as the peer: a job whose
 * input, output and dead-letter files are one file (same name, another spelling, a symlink, a hard link, the
 * default dead-letter name) is refused with exit 2 before anything is touched — the input or dead-letter file keeps
 * every byte, and no output file appears. Without the check `-i a.jsonl -o a.jsonl` truncated the input and
 * exited 0.
 */
import assert from 'node:assert/strict';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSimulator, type Simulator } from '../../src/sim/index.ts';
import { ROOT, runCli } from '../support/cli.ts';
import { reviewRecords, toJsonl } from '../support/review-records.ts';

const PIPELINE = join(ROOT, 'pipelines/review-insights.yaml');
const INPUT = toJsonl(reviewRecords(5, 'paths'));
const root = mkdtempSync(join(tmpdir(), 'sluice-paths-'));

let sim: Simulator;
let env: Record<string, string>;

before(async () => {
  sim = await startSimulator({ profile: 'null', seed: 3 });
  env = { SLUICE_BASE_URL: sim.url, OPENAI_API_KEY: 'sk-test-paths-0000' };
});
after(() => sim.close());

/** A fresh directory per test, holding the input file `in.jsonl`. */
function workDir(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'in.jsonl'), INPUT);
  return dir;
}

/** Runs `sluice ARGS` in `dir` and asserts: exit 2, one `sluice: …` line matching `message`, no model call made. */
async function assertRefused(dir: string, args: string[], message: RegExp): Promise<void> {
  const callsBefore = sim.stats().received;
  const result = await runCli([...args, '--no-progress'], { env, cwd: dir });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, message);
  assert.equal(result.stderr.trim().split('\n').length, 1, `one line, no stack trace:\n${result.stderr}`);
  assert.equal(result.stdout, '');
  assert.equal(sim.stats().received, callsBefore, 'no model call made');
}

describe('sluice run/replay refuse one file in two roles (CLI)', () => {
  test('-o equal to -i: refused, the input keeps every byte', async () => {
    const dir = workDir('same-output');
    await assertRefused(
      dir,
      ['run', PIPELINE, '-i', 'in.jsonl', '-o', 'in.jsonl'],
      /^sluice: -o: in\.jsonl is the input file \(-i\): it would be overwritten$/m,
    );
    assert.equal(readFileSync(join(dir, 'in.jsonl'), 'utf8'), INPUT);
  });

  test('--dead-letter equal to -i: refused, the input is neither removed nor changed', async () => {
    const dir = workDir('same-dead-letter');
    await assertRefused(
      dir,
      ['run', PIPELINE, '-i', 'in.jsonl', '-o', 'out.jsonl', '--dead-letter', './in.jsonl'],
      /--dead-letter: \.\/in\.jsonl is the input file \(-i in\.jsonl\): it would be overwritten/,
    );
    assert.equal(readFileSync(join(dir, 'in.jsonl'), 'utf8'), INPUT);
    assert.ok(!existsSync(join(dir, 'out.jsonl')), 'no output file created');
  });

  test('-o equal to --dead-letter: refused, nothing created', async () => {
    const dir = workDir('output-is-dead-letter');
    await assertRefused(
      dir,
      ['run', PIPELINE, '-i', 'in.jsonl', '-o', 'x.jsonl', '--dead-letter', 'x.jsonl'],
      /--dead-letter: x\.jsonl is the output file \(-o\): both would write to it/,
    );
    assert.ok(!existsSync(join(dir, 'x.jsonl')));
  });

  test('the default dead-letter file (next to -o) equal to -i: refused, the input is not removed', async () => {
    const dir = workDir('default-dead-letter');
    writeFileSync(join(dir, 'x.dead-letters.jsonl'), INPUT);
    await assertRefused(
      dir,
      ['run', PIPELINE, '-i', 'x.dead-letters.jsonl', '-o', 'x.jsonl'],
      /--dead-letter \(default\): x\.dead-letters\.jsonl is the input file \(-i\)/,
    );
    assert.equal(readFileSync(join(dir, 'x.dead-letters.jsonl'), 'utf8'), INPUT);
    assert.ok(!existsSync(join(dir, 'x.jsonl')));
  });

  test('the same file under another name: another spelling, a symlink, a hard link, a symlinked directory', async () => {
    const dir = workDir('aliases');
    mkdirSync(join(dir, 'sub'));
    symlinkSync('in.jsonl', join(dir, 'link.jsonl'));
    linkSync(join(dir, 'in.jsonl'), join(dir, 'hard.jsonl'));
    symlinkSync('.', join(dir, 'here'));
    const cases: Array<[string, RegExp]> = [
      ['sub/../in.jsonl', /-o: sub\/\.\.\/in\.jsonl is the input file \(-i in\.jsonl\)/],
      ['link.jsonl', /-o: link\.jsonl is the input file \(-i in\.jsonl\)/],
      ['hard.jsonl', /-o: hard\.jsonl is the input file \(-i in\.jsonl\)/],
      ['here/in.jsonl', /-o: here\/in\.jsonl is the input file \(-i in\.jsonl\)/],
    ];
    for (const [output, message] of cases) {
      await assertRefused(dir, ['run', PIPELINE, '-i', 'in.jsonl', '-o', output], message);
      assert.equal(readFileSync(join(dir, 'in.jsonl'), 'utf8'), INPUT, `input intact after -o ${output}`);
    }
  });

  test('replay: -o equal to the replayed dead-letter file is refused, the dead letters keep every byte', async () => {
    const dir = workDir('replay');
    const deadLetters = `${INPUT.split('\n')
      .filter(Boolean)
      .map((raw, i) => JSON.stringify({ id: `r${i}`, raw, stage: 'llm-map', reason: 'timeout', pipeline: PIPELINE }))
      .join('\n')}\n`;
    writeFileSync(join(dir, 'dl.jsonl'), deadLetters);
    await assertRefused(
      dir,
      ['replay', 'dl.jsonl', '-o', 'dl.jsonl'],
      /-o: dl\.jsonl is the dead-letter file being replayed \(<dead-letters>\): it would be overwritten/,
    );
    await assertRefused(
      dir,
      ['replay', 'dl.jsonl', '--dead-letter', 'dl.jsonl'],
      /--dead-letter: dl\.jsonl is the dead-letter file being replayed/,
    );
    assert.equal(readFileSync(join(dir, 'dl.jsonl'), 'utf8'), deadLetters);
  });
});

describe('sluice run/replay check paths before touching anything (CLI)', () => {
  test('a missing input file: exit 2 naming -i, and no output file created', async () => {
    const dir = workDir('missing-input');
    await assertRefused(
      dir,
      ['run', PIPELINE, '-i', 'nope.jsonl', '-o', 'out.jsonl'],
      /^sluice: -i: cannot read nope\.jsonl: no such file \(ENOENT\)$/m,
    );
    assert.ok(!existsSync(join(dir, 'out.jsonl')), 'no output file created');
    await assertRefused(
      dir,
      ['run', PIPELINE, '-i', '.', '-o', 'out.jsonl'],
      /^sluice: -i: cannot read \.: it is a directory$/m,
    );
  });

  test('replay of a missing dead-letter file, pipeline given: exit 2 naming <dead-letters>', async () => {
    const dir = workDir('missing-replay');
    await assertRefused(
      dir,
      ['replay', 'gone.jsonl', PIPELINE, '-o', 'out.jsonl'],
      /<dead-letters>: cannot read gone\.jsonl: no such file/,
    );
    assert.ok(!existsSync(join(dir, 'out.jsonl')));
  });

  test('-o or --dead-letter in a missing directory: exit 2, one line, the input untouched and nothing created', async () => {
    const dir = workDir('missing-dir');
    await assertRefused(
      dir,
      ['run', PIPELINE, '-i', 'in.jsonl', '-o', 'nodir/out.jsonl'],
      /^sluice: -o: cannot create nodir\/out\.jsonl: directory nodir does not exist$/m,
    );
    await assertRefused(
      dir,
      ['run', PIPELINE, '-i', 'in.jsonl', '-o', 'out.jsonl', '--dead-letter', 'nodir/dl.jsonl'],
      /^sluice: --dead-letter: cannot create nodir\/dl\.jsonl: directory nodir does not exist$/m,
    );
    mkdirSync(join(dir, 'sub'));
    await assertRefused(
      dir,
      ['run', PIPELINE, '-i', 'in.jsonl', '-o', 'sub'],
      /^sluice: -o: cannot write sub: it is a directory$/m,
    );
    assert.ok(!existsSync(join(dir, 'out.jsonl')), 'no output file created');
    assert.equal(readFileSync(join(dir, 'in.jsonl'), 'utf8'), INPUT);
  });

  test('--summary-json in a missing directory: exit 2 before any model call (it used to fail after the whole run)', async () => {
    const dir = workDir('missing-summary-dir');
    await assertRefused(
      dir,
      ['run', PIPELINE, '-i', 'in.jsonl', '-o', 'out.jsonl', '--summary-json', 'nodir/s.json'],
      /^sluice: --summary-json: cannot create nodir\/s\.json: directory nodir does not exist$/m,
    );
    assert.ok(!existsSync(join(dir, 'out.jsonl')), 'no output file created');
  });
});

describe('the dead-letter file of a stdout run (CLI)', () => {
  test("is appended to: a later run keeps an earlier run's dead letters (a torn last line is removed first)", async () => {
    const dir = workDir('stdout-dead-letters');
    const deadPath = join(dir, 'sluice-dead-letters.jsonl');
    const earlier = JSON.stringify({
      id: 'earlier',
      reason: 'timeout',
      pipeline: PIPELINE,
      fingerprint: '0123456789abcdef',
    });
    writeFileSync(deadPath, `${earlier}\n{"id":"torn","rea`);
    const good = INPUT.split('\n')[0]!;
    const runOnce = (id: string) =>
      runCli(['run', PIPELINE, '--no-progress'], {
        env,
        cwd: dir,
        stdin: `${good}\n${JSON.stringify({ id, category: 'no text field' })}\n`,
      });

    const first = await runOnce('first');
    assert.equal(first.code, 3, `exit 3 = finished with dead letters\n${first.stderr}`);
    assert.equal(first.stdout.trim().split('\n').length, 1, 'the good record is on stdout');
    assert.match(first.stderr, /sluice-dead-letters\.jsonl: removed a torn last line \(17 bytes\)/);
    const second = await runOnce('second');
    assert.equal(second.code, 3, second.stderr);

    const lines = readFileSync(deadPath, 'utf8').split('\n');
    assert.equal(lines.pop(), '', 'ends with a whole line');
    assert.equal(lines[0], earlier, "the earlier run's dead letter kept byte for byte");
    const letters = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      letters.map((l) => l.id),
      ['earlier', 'first', 'second'],
    );
    for (const letter of letters.slice(1)) {
      assert.equal(letter.reason, 'missing_field');
      assert.equal(letter.pipeline, PIPELINE);
      assert.match(String(letter.fingerprint), /^[0-9a-f]{16}$/);
    }
  });
});
