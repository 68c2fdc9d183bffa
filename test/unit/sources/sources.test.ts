import assert from 'node:assert/strict';
import type { ReadStream } from 'node:fs';
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

  it('fileSource: return() before the end releases the file (sources/source.ts: a stop ends the iteration early)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-source-'));
    try {
      const path = join(dir, 'in.jsonl');
      await writeFile(path, Buffer.alloc(8 * 1024, 'x'));
      const source = fileSource(path, { highWaterMark: 1024 });
      const iterator = source[Symbol.asyncIterator]();
      assert.equal((await iterator.next()).done, false);
      await iterator.return?.();
      const stream = source as ReadStream;
      assert.equal(stream.destroyed, true);
      // (The iterator destroys the stream with an AbortError; `once` would reject on that, so wait for 'close' alone.)
      if (!stream.closed) await new Promise<void>((resolve) => stream.on('close', () => resolve()));
      assert.equal(stream.closed, true, 'the file descriptor is closed');
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
