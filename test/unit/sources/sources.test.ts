import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { collect } from '../../../src/core/stage.ts';
import { fileSource } from '../../../src/sources/file.ts';
import { stdinSource } from '../../../src/sources/stdin.ts';

describe('sources', () => {
  it('fileSource yields the file bytes in chunks of the given size', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-source-'));
    try {
      const path = join(dir, 'in.jsonl');
      const content = Buffer.from('{"a":1}\n'.repeat(1000));
      await writeFile(path, content);
      const chunks = await collect(fileSource(path, { highWaterMark: 1024 }));
      assert.equal(chunks.length, Math.ceil(content.length / 1024));
      assert.ok(Buffer.concat(chunks).equals(content));
      await assert.rejects(collect(fileSource(join(dir, 'missing.jsonl'))), /ENOENT/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stdinSource yields what the stream carries', async () => {
    const stream = new PassThrough();
    stream.end('a\nb\n');
    const chunks = await collect(stdinSource(stream));
    assert.equal(Buffer.concat(chunks).toString(), 'a\nb\n');
  });
});
