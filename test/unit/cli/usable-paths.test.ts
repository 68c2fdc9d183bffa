import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { assertReadableFile, assertWritableFile } from '../../../src/cli/usable-paths.ts';
import { ConfigError } from '../../../src/core/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-usable-'));
writeFileSync(join(dir, 'in.jsonl'), '{"id":1}\n');
// root may read and write whatever the mode says: the permission cases only mean something for other users.
const isRoot = process.getuid?.() === 0;

async function messageOf(check: Promise<void>): Promise<string> {
  const error = await check.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof ConfigError, 'a ConfigError (exit 2)');
  return error.message;
}

describe('assertReadableFile / assertWritableFile', () => {
  test('usable paths pass: an existing readable file; an existing or new file in a writable directory', async () => {
    await assertReadableFile('-i', join(dir, 'in.jsonl'));
    await assertWritableFile('-o', join(dir, 'in.jsonl'));
    await assertWritableFile('-o', join(dir, 'new.jsonl'));
  });

  test('missing, a directory, or under a file: one message naming the flag and the path', async () => {
    assert.equal(
      await messageOf(assertReadableFile('-i', join(dir, 'nope'))),
      `-i: cannot read ${join(dir, 'nope')}: no such file (ENOENT)`,
    );
    assert.equal(await messageOf(assertReadableFile('-i', dir)), `-i: cannot read ${dir}: it is a directory`);
    assert.equal(await messageOf(assertWritableFile('-o', dir)), `-o: cannot write ${dir}: it is a directory`);
    assert.equal(
      await messageOf(assertWritableFile('--summary-json', join(dir, 'no', 's.json'))),
      `--summary-json: cannot create ${join(dir, 'no', 's.json')}: directory ${join(dir, 'no')} does not exist`,
    );
    assert.match(
      await messageOf(assertWritableFile('-o', join(dir, 'in.jsonl', 'x'))),
      /^-o: cannot (write|create) .*not a directory/,
    );
  });

  test('no permission: an unreadable input, a read-only file, a read-only directory', {
    skip: isRoot && 'running as root',
  }, async () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    writeFileSync(join(locked, 'secret.jsonl'), 'x\n');
    chmodSync(join(locked, 'secret.jsonl'), 0o200);
    assert.match(
      await messageOf(assertReadableFile('-i', join(locked, 'secret.jsonl'))),
      /permission denied \(EACCES\)/,
    );
    chmodSync(join(locked, 'secret.jsonl'), 0o400);
    assert.match(
      await messageOf(assertWritableFile('-o', join(locked, 'secret.jsonl'))),
      /permission denied \(EACCES\)/,
    );
    chmodSync(locked, 0o500);
    assert.match(
      await messageOf(assertWritableFile('-o', join(locked, 'new.jsonl'))),
      /directory .*locked is not writable/,
    );
    chmodSync(locked, 0o700);
  });
});
