import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEnvelope, type OkEnvelope } from '../../../src/core/envelope.ts';
import { fromArray } from '../../../src/core/stage.ts';
import { fileSink } from '../../../src/sinks/file.ts';

const ctx = { signal: new AbortController().signal };
let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-file-sink-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function lines(n: number, acks: string[]): OkEnvelope<string>[] {
  return Array.from({ length: n }, (_, i) =>
    createEnvelope({
      id: `r${i + 1}`,
      value: JSON.stringify({ id: `r${i + 1}`, text: `review ${i + 1} 好` }),
      meta: { kind: 'memory', index: i },
      ack: () => acks.push(`r${i + 1}`),
    }),
  );
}

describe('fileSink', () => {
  for (const batchSize of [1, 7, 512]) {
    it(`writes every line whole and acks each once (batch ${batchSize})`, async () => {
      const path = join(dir, `out-${batchSize}.jsonl`);
      const acks: string[] = [];
      await fileSink(path, { batchSize, maxWaitMs: 1000 })(fromArray(lines(1000, acks)), ctx);
      const written = (await readFile(path, 'utf8')).split('\n');
      assert.equal(written.pop(), '', 'ends with a newline');
      assert.equal(written.length, 1000);
      assert.deepEqual(JSON.parse(written[999] ?? ''), { id: 'r1000', text: 'review 1000 好' });
      assert.deepEqual(
        acks,
        Array.from({ length: 1000 }, (_, i) => `r${i + 1}`),
      );
    });
  }

  it('acks a record only after its line is in the file', async () => {
    const path = join(dir, 'ack-order.jsonl');
    const seenAtAck: number[] = [];
    const pending: Promise<void>[] = [];
    const input = Array.from({ length: 5 }, (_, i) =>
      createEnvelope({
        id: `r${i}`,
        value: `{"n":${i}}`,
        meta: { kind: 'memory', index: i } as const,
        ack: () => {
          pending.push(
            readFile(path, 'utf8').then((text) => void seenAtAck.push(text.includes(`{"n":${i}}\n`) ? 1 : 0)),
          );
        },
      }),
    );
    await fileSink(path, { batchSize: 2, maxWaitMs: 1000 })(fromArray(input), ctx);
    await Promise.all(pending);
    assert.deepEqual(seenAtAck, [1, 1, 1, 1, 1]);
  });

  it('truncates by default, appends on request, and leaves an empty file for an empty run', async () => {
    const path = join(dir, 'append.jsonl');
    await writeFile(path, 'old\n');
    await fileSink(path, { append: true })(
      fromArray([createEnvelope({ id: 'a', value: 'new', meta: { kind: 'memory', index: 0 } })]),
      ctx,
    );
    assert.equal(await readFile(path, 'utf8'), 'old\nnew\n');
    await fileSink(path)(fromArray([]), ctx);
    assert.equal(await readFile(path, 'utf8'), '');
  });

  it('fails before reading input when the file cannot be opened', async () => {
    let pulled = 0;
    async function* source() {
      pulled++;
      yield createEnvelope({ id: 'a', value: 'x', meta: { kind: 'memory', index: 0 } as const });
    }
    await assert.rejects(fileSink(join(dir, 'missing-dir', 'out.jsonl'))(source(), ctx), /ENOENT/);
    assert.equal(pulled, 0);
  });

  it('acks nothing that was not written when the source fails midway', async () => {
    const path = join(dir, 'partial.jsonl');
    const acks: string[] = [];
    async function* source() {
      yield* lines(3, acks);
      throw new Error('upstream broke');
    }
    await assert.rejects(fileSink(path, { batchSize: 2, maxWaitMs: 1000 })(source(), ctx), /upstream broke/);
    const written = (await readFile(path, 'utf8')).split('\n').filter(Boolean);
    assert.deepEqual(acks, ['r1', 'r2']);
    assert.equal(written.length, 2);
  });
});
