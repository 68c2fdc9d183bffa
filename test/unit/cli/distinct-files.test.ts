import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { assertDistinctFiles, type JobFile } from '../../../src/cli/distinct-files.ts';
import { ConfigError } from '../../../src/core/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-distinct-'));
writeFileSync(join(dir, 'in.jsonl'), '{"id":1}\n');

const input = (path: string): JobFile => ({
  flag: '-i',
  path,
  role: 'the input file',
  harm: 'it would be overwritten',
});
const output = (path: string): JobFile => ({
  flag: '-o',
  path,
  role: 'the output file',
  harm: 'both would write to it',
});
const deadLetter = (path: string): JobFile => ({
  flag: '--dead-letter',
  path,
  role: 'the dead-letter file',
  harm: 'both would write to it',
});

async function refusal(files: JobFile[]): Promise<string> {
  const error = await assertDistinctFiles(files).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof ConfigError, 'a ConfigError (exit 2)');
  return error.message;
}

describe('assertDistinctFiles', () => {
  test('distinct files pass, existing or not', async () => {
    await assertDistinctFiles([
      input(join(dir, 'in.jsonl')),
      output(join(dir, 'out.jsonl')),
      deadLetter(join(dir, 'out.dead-letters.jsonl')),
    ]);
  });

  test('names the later flag, its path, what the earlier file is and its flag', async () => {
    const path = join(dir, 'in.jsonl');
    assert.equal(
      await refusal([input(path), output(path)]),
      `-o: ${path} is the input file (-i): it would be overwritten`,
    );
    assert.equal(
      await refusal([output(join(dir, 'x')), deadLetter(join(dir, 'x'))]),
      `--dead-letter: ${join(dir, 'x')} is the output file (-o): both would write to it`,
    );
  });

  test('one file under two names: symlink, hard link, symlinked directory, a dangling symlink to a file yet to be written', async () => {
    const sub = join(dir, 'aliases');
    mkdirSync(sub);
    writeFileSync(join(sub, 'a.jsonl'), 'x\n');
    symlinkSync('a.jsonl', join(sub, 'soft.jsonl'));
    linkSync(join(sub, 'a.jsonl'), join(sub, 'hard.jsonl'));
    symlinkSync(sub, join(dir, 'aliases-link'));
    symlinkSync('later.jsonl', join(sub, 'dangling.jsonl'));
    assert.match(
      await refusal([input(join(sub, 'a.jsonl')), output(join(sub, 'soft.jsonl'))]),
      /soft\.jsonl is the input file \(-i .*a\.jsonl\)/,
    );
    assert.match(
      await refusal([input(join(sub, 'a.jsonl')), output(join(sub, 'hard.jsonl'))]),
      /hard\.jsonl is the input file/,
    );
    assert.match(
      await refusal([output(join(sub, 'new.jsonl')), deadLetter(join(dir, 'aliases-link', 'new.jsonl'))]),
      /is the output file/,
    );
    assert.match(
      await refusal([output(join(sub, 'dangling.jsonl')), deadLetter(join(sub, 'later.jsonl'))]),
      /later\.jsonl is the output file/,
    );
  });

  test('character devices are exempt: /dev/null twice overwrites nothing', async () => {
    await assertDistinctFiles([output('/dev/null'), deadLetter('/dev/null')]);
  });
});
