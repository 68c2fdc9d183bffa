import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Envelope } from '../../../src/core/envelope.ts';
import { okValue } from '../../support/ok-value.ts';
import { RunStats } from '../../../src/core/run-stats.ts';
import { collect, fromArray } from '../../../src/core/stage.ts';
import { PREVIEW_BYTES, readLines } from '../../../src/stages/read-lines.ts';

const origin = { kind: 'file', path: 'reviews.jsonl' } as const;

async function read(chunks: (Buffer | string)[], maxLineBytes = 1000) {
  const stats = new RunStats();
  const out = await collect(readLines({ maxLineBytes, origin, stats })(fromArray(chunks)));
  return { out, stats };
}

function summary(envelopes: Envelope<string>[]) {
  return envelopes.map((e) => ({
    id: e.id,
    line: e.meta.kind === 'file' ? e.meta.line : -1,
    value: e.value,
    reason: e.failure?.reason,
  }));
}

describe('readLines', () => {
  it('yields one envelope per line with id line:N, file meta and raw', async () => {
    const { out, stats } = await read(['{"a":1}\n{"a":2}\n{"a":3}']);
    assert.deepEqual(summary(out), [
      { id: 'line:1', line: 1, value: '{"a":1}', reason: undefined },
      { id: 'line:2', line: 2, value: '{"a":2}', reason: undefined },
      { id: 'line:3', line: 3, value: '{"a":3}', reason: undefined },
    ]);
    assert.equal(out[1]?.raw, '{"a":2}');
    assert.deepEqual(out[0]?.meta, { kind: 'file', path: 'reviews.jsonl', line: 1 });
    assert.equal(stats.recordsIn, 3);
    assert.equal(stats.emptyLines, 0);
  });

  it('joins lines split across chunks, including inside a multi-byte character', async () => {
    const text = Buffer.from('{"t":"好评"}\n{"t":"ok"}\n', 'utf8');
    const chunks = [text.subarray(0, 3), text.subarray(3, 9), text.subarray(9, 14), text.subarray(14)];
    const { out } = await read(chunks);
    assert.deepEqual(
      out.map((e) => [e.id, e.value, e.failure]),
      [
        ['line:1', '{"t":"好评"}', undefined],
        ['line:2', '{"t":"ok"}', undefined],
      ],
    );
  });

  it('strips a BOM at the start (even split across chunks) and CR of CRLF lines', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}\r\n{"a":2}\r\n')]);
    const { out } = await read([bytes.subarray(0, 2), bytes.subarray(2)]);
    assert.deepEqual(
      out.map((e) => e.value),
      ['{"a":1}', '{"a":2}'],
    );
    // A BOM-like sequence after line 1 is data, not stripped.
    const later = await read([
      Buffer.concat([Buffer.from('x\n'), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('y\n')]),
    ]);
    assert.equal(later.out[1]?.value, '\ufeffy');
  });

  it('skips empty and whitespace-only lines, counts them, keeps line numbers', async () => {
    const { out, stats } = await read(['a\n\n   \n\t\r\n\u3000\nb\n\n']);
    assert.deepEqual(summary(out), [
      { id: 'line:1', line: 1, value: 'a', reason: undefined },
      { id: 'line:6', line: 6, value: 'b', reason: undefined },
    ]);
    assert.equal(stats.emptyLines, 5);
    assert.equal(stats.recordsIn, 2);
  });

  it('turns invalid UTF-8 into an invalid_utf8 failure with best-effort text, and goes on', async () => {
    const bad = Buffer.concat([Buffer.from('{"t":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]);
    const { out, stats } = await read([Buffer.from('ok1\n'), bad, Buffer.from('ok3\n')]);
    assert.deepEqual(summary(out), [
      { id: 'line:1', line: 1, value: 'ok1', reason: undefined },
      { id: 'line:2', line: 2, value: '{"t":"\ufffd\ufffd"}', reason: 'invalid_utf8' },
      { id: 'line:3', line: 3, value: 'ok3', reason: undefined },
    ]);
    assert.equal(out[1]?.raw, '{"t":"\ufffd\ufffd"}');
    assert.equal(out[1]?.failure?.stage, 'read-lines');
    assert.equal(out[1]?.failure?.retriable, false);
    assert.equal(stats.recordsIn, 3);
  });

  it('accepts plain Uint8Array chunks (web streams)', async () => {
    const bytes = new TextEncoder().encode('{"a":1}\n{"a":2}\n');
    const stats = new RunStats();
    const out = await collect(
      readLines({ maxLineBytes: 100, origin, stats })(fromArray([bytes.subarray(0, 5), bytes.subarray(5)])),
    );
    assert.deepEqual(
      out.map((e) => e.value),
      ['{"a":1}', '{"a":2}'],
    );
  });

  it('keeps a real U+FFFD character (valid UTF-8) as data', async () => {
    const { out } = await read(['{"t":"\ufffd"}\n']);
    assert.equal(out[0]?.failure, undefined);
  });

  it('fails a line longer than maxLineBytes with a bounded preview and continues with the next line', async () => {
    const long = 'x'.repeat(5000);
    const { out, stats } = await read([`short\n${long}\nafter\n`], 100);
    assert.deepEqual(
      summary(out).map((s) => [s.id, s.reason]),
      [
        ['line:1', undefined],
        ['line:2', 'line_too_long'],
        ['line:3', undefined],
      ],
    );
    assert.equal(out[1]?.raw?.length, PREVIEW_BYTES);
    assert.match(out[1]?.failure?.message ?? '', /line 2 is 5000 bytes, more than maxLineBytes \(100\)/);
    assert.equal(out[2]?.value, 'after');
    assert.equal(stats.recordsIn, 3);
  });

  it('discards an oversized line spread over many chunks without buffering it, and counts its bytes', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const total = 5 * 1024 * 1024;
    async function* source() {
      yield Buffer.from('{"first":1}\nAAA');
      for (let sent = 0; sent < total; sent += chunk.length) yield chunk;
      yield Buffer.from('\r\n{"last":1}\n');
    }
    const stats = new RunStats();
    const out = await collect(readLines({ maxLineBytes: 100_000, origin, stats })(source()));
    assert.deepEqual(
      out.map((e) => [e.id, e.failure?.reason]),
      [
        ['line:1', undefined],
        ['line:2', 'line_too_long'],
        ['line:3', undefined],
      ],
    );
    assert.equal(out[1]?.raw, `AAA${'a'.repeat(PREVIEW_BYTES - 3)}`);
    assert.match(out[1]?.failure?.message ?? '', new RegExp(`line 2 is ${total + 3} bytes`));
    assert.equal(out[2]?.value, '{"last":1}');
  });

  it('accepts a line of exactly maxLineBytes, also with CRLF across chunks', async () => {
    const line = 'y'.repeat(10);
    const { out } = await read([`${line.slice(0, 4)}`, `${line.slice(4)}\r`, '\n'], 10);
    assert.equal(out[0]?.value, line);
    assert.equal(out[0]?.failure, undefined);
  });

  it('uses stdin meta for stdin input and calls onAck with the line number', async () => {
    const acked: number[] = [];
    const stats = new RunStats();
    const out = await collect(
      readLines({ maxLineBytes: 100, origin: { kind: 'stdin' }, stats, onAck: (n) => acked.push(n) })(
        fromArray(['a\n\nb\n']),
      ),
    );
    assert.deepEqual(out[1]?.meta, { kind: 'stdin', line: 3 });
    out[1]?.ack();
    out[1]?.ack();
    out[0]?.ack();
    assert.deepEqual(acked, [3, 1]);
  });

  it('pulls the source lazily: one chunk per line consumed', async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 1; i <= 1000; i++) {
        pulled++;
        yield `{"n":${i}}\n`;
      }
    }
    const stats = new RunStats();
    const iterator = readLines({ maxLineBytes: 100, origin, stats })(source())[Symbol.asyncIterator]();
    for (let i = 0; i < 5; i++) await iterator.next();
    assert.equal(pulled, 5);
    await iterator.return?.();
  });

  it('stops with the abort reason when the signal aborts', async () => {
    const controller = new AbortController();
    const stats = new RunStats();
    const lines = readLines({ maxLineBytes: 100, origin, stats })(fromArray(['a\n', 'b\n', 'c\n']), {
      signal: controller.signal,
    });
    const seen: string[] = [];
    await assert.rejects(async () => {
      for await (const e of lines) {
        seen.push(okValue(e));
        controller.abort(new Error('stop now'));
      }
    }, /stop now/);
    assert.deepEqual(seen, ['a']);
  });

  it('rejects a bad maxLineBytes', () => {
    assert.throws(() => readLines({ maxLineBytes: 0, origin, stats: new RunStats() }), /maxLineBytes/);
  });
});

describe('readLines with a limit below the preview size', () => {
  it('never lets the preview run into the next line', async () => {
    const stats = new RunStats();
    const out = await collect(readLines({ maxLineBytes: 10, origin, stats })(fromArray(['0123456789ABC\nnext\n'])));
    assert.deepEqual(
      out.map((e) => [e.id, e.raw, e.failure?.reason]),
      [
        ['line:1', '0123456789ABC', 'line_too_long'],
        ['line:2', 'next', undefined],
      ],
    );
  });
});
