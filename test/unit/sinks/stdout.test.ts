import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createEnvelope, type OkEnvelope } from '../../../src/core/envelope.ts';
import { ExitCode, SluiceError } from '../../../src/core/errors.ts';
import { stdoutSink } from '../../../src/sinks/stdout.ts';

const ctx = { signal: new AbortController().signal };

function records(n: number, acks: number[], onPull?: () => void): AsyncIterable<OkEnvelope<string>> {
  return (async function* () {
    for (let i = 1; i <= n; i++) {
      onPull?.();
      yield createEnvelope({
        id: `r${i}`,
        value: `{"n":${i}}`,
        meta: { kind: 'memory', index: i },
        ack: () => acks.push(i),
      });
    }
  })();
}

/** A writable whose writes complete only when the test releases them. */
class HeldWritable extends Writable {
  readonly chunks: string[] = [];
  readonly held: ((error?: Error | null) => void)[] = [];
  constructor(highWaterMark = 4) {
    super({ highWaterMark });
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(chunk.toString());
    this.held.push(callback);
  }
  release(error?: Error): void {
    this.held.shift()?.(error);
  }
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('stdoutSink', () => {
  it('stops with broken_pipe when a write fails with EPIPE, without waiting for the next record', async () => {
    const out = new HeldWritable(1024); // room left: the sink does not wait for 'drain', it waits for the next record
    let nextAsked = false;
    let releaseNext: () => void = () => undefined;
    const source = (async function* () {
      yield createEnvelope({ id: 'r1', value: '{"n":1}', meta: { kind: 'memory', index: 1 } });
      nextAsked = true;
      await new Promise<void>((resolve) => (releaseNext = resolve)); // the next result is far away (a slow model call)
      yield createEnvelope({ id: 'r2', value: '{"n":2}', meta: { kind: 'memory', index: 2 } });
    })();
    let settled: unknown;
    const run = stdoutSink({ stream: out, batchSize: 1, maxWaitMs: 1000 })(source, ctx).then(
      () => (settled = 'resolved'),
      (error: unknown) => (settled = error),
    );
    await settle();
    assert.equal(out.chunks.length, 1);
    assert.ok(nextAsked);
    out.release(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })); // the reader went away
    await settle();
    assert.ok(settled instanceof SluiceError && settled.code === 'broken_pipe', `settled: ${String(settled)}`);
    releaseNext();
    await run;
  });

  it('writes every line in order and acks each after its write completed', async () => {
    const chunks: string[] = [];
    const out = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString());
        callback();
      },
    });
    const acks: number[] = [];
    await stdoutSink({ stream: out, batchSize: 3, maxWaitMs: 1000 })(records(10, acks), ctx);
    assert.equal(chunks.join(''), Array.from({ length: 10 }, (_, i) => `{"n":${i + 1}}\n`).join(''));
    assert.equal(chunks.length, 4, 'one write per batch of 3');
    assert.deepEqual(acks, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('waits for drain before writing more, and acks nothing before the write callback', async () => {
    const out = new HeldWritable();
    const acks: number[] = [];
    let pulled = 0;
    const done = stdoutSink({ stream: out, batchSize: 1, maxWaitMs: 1000 })(
      records(5, acks, () => pulled++),
      ctx,
    );
    await settle();
    assert.equal(out.chunks.length, 1, 'the first write exceeded the high-water mark: no second write before drain');
    assert.equal(pulled, 1, 'no read-ahead while blocked on drain');
    assert.deepEqual(acks, []);
    for (let i = 0; i < 5; i++) {
      out.release();
      await settle();
    }
    await done;
    assert.deepEqual(acks, [1, 2, 3, 4, 5]);
    assert.equal(out.chunks.length, 5);
  });

  it('turns a non-EPIPE write error into a fatal output_failed error', async () => {
    const out = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('disk on fire'), { code: 'EIO' }));
      },
    });
    const acks: number[] = [];
    await assert.rejects(
      stdoutSink({ stream: out, batchSize: 2, maxWaitMs: 1000 })(records(6, acks), ctx),
      (error: unknown) => {
        assert.ok(error instanceof SluiceError);
        assert.equal(error.code, 'output_failed');
        assert.equal(error.exitCode, ExitCode.fatal);
        return true;
      },
    );
    assert.deepEqual(acks, []);
  });

  it('on a reader that closed the pipe: stops, throws broken_pipe with exit code 0, no unhandled error', async () => {
    const sinkUrl = new URL('../../../src/sinks/stdout.ts', import.meta.url).href;
    const script = `
      import { stdoutSink } from ${JSON.stringify(sinkUrl)};
      let acked = 0;
      async function* source() {
        for (let i = 1; i <= 2_000_000; i++) yield { id: 'r' + i, value: '{"n":' + i + ',"pad":"' + 'x'.repeat(100) + '"}', meta: { kind: 'memory', index: i }, ack: () => acked++ };
      }
      try {
        await stdoutSink({ batchSize: 64, maxWaitMs: 5 })(source(), { signal: new AbortController().signal });
        process.stderr.write(JSON.stringify({ finished: true, acked }) + '\\n');
      } catch (error) {
        process.stderr.write(JSON.stringify({ code: error.code, exitCode: error.exitCode, acked }) + '\\n');
        process.exitCode = error.exitCode;
      }
    `;
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    let firstLine = '';
    await new Promise<void>((resolve) => {
      child.stdout.once('data', (chunk: Buffer) => {
        firstLine = chunk.toString().split('\n')[0] ?? '';
        child.stdout.destroy(); // the reader goes away, like `head -1`
        resolve();
      });
    });
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    assert.equal(firstLine.startsWith('{"n":1,'), true);
    assert.equal(exitCode, 0, stderr);
    const report = JSON.parse(stderr.trim().split('\n').pop() ?? '{}') as {
      code?: string;
      exitCode?: number;
      acked?: number;
    };
    assert.equal(report.code, 'broken_pipe');
    assert.equal(report.exitCode, 0);
    assert.ok((report.acked ?? 0) < 2_000_000, `acked ${report.acked}: it stopped consuming`);
    assert.doesNotMatch(stderr, /Unhandled|EPIPE/);
  });
});
