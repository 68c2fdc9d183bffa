import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEnvelope, withFailure, withNotStarted, type Envelope } from '../../../src/core/envelope.ts';
import { RunStats } from '../../../src/core/run-stats.ts';
import type { Sink } from '../../../src/core/stage.ts';
import { routingSink } from '../../../src/sinks/routing.ts';

const ctx = { signal: new AbortController().signal };

function mixed(n: number, acked: string[], onPull?: () => void): AsyncIterable<Envelope<unknown>> {
  return (async function* () {
    for (let i = 1; i <= n; i++) {
      onPull?.();
      const envelope = createEnvelope<unknown>({
        id: `r${i}`,
        value: `{"n":${i}}`,
        meta: { kind: 'memory', index: i },
        ack: () => acked.push(`r${i}`),
      });
      yield i % 3 === 0
        ? withFailure(envelope, {
            stage: 'parse-json',
            reason: 'invalid_json',
            message: 'bad',
            retriable: false,
            attempts: [],
          })
        : envelope;
    }
  })();
}

/** A sink that records ids and acks everything. */
function recordingSink(ids: string[]): Sink<any> {
  return async (source) => {
    for await (const envelope of source) {
      ids.push(envelope.id);
      envelope.ack();
    }
  };
}

describe('routingSink', () => {
  it('sends failures to the dead-letter sink and the rest to output, counting on ack', async () => {
    const stats = new RunStats();
    const outputIds: string[] = [];
    const deadIds: string[] = [];
    const acked: string[] = [];
    await routingSink({ output: recordingSink(outputIds), deadLetter: recordingSink(deadIds), stats, bufferSize: 2 })(
      mixed(30, acked),
      ctx,
    );
    assert.deepEqual(
      deadIds,
      Array.from({ length: 10 }, (_, i) => `r${(i + 1) * 3}`),
    );
    assert.equal(outputIds.length, 20);
    assert.ok(outputIds.every((id) => Number(id.slice(1)) % 3 !== 0));
    assert.equal(stats.recordsOut, 20);
    assert.equal(stats.deadLetters, 10);
    assert.equal(acked.length, 30);
    assert.equal(new Set(acked).size, 30);
  });

  it('counts only acked records', async () => {
    const stats = new RunStats();
    const lazy: Sink<any> = async (source) => {
      let i = 0;
      for await (const envelope of source) if (i++ % 2 === 0) envelope.ack();
    };
    await routingSink({ output: lazy, deadLetter: recordingSink([]), stats })(mixed(6, []), ctx);
    assert.equal(stats.recordsOut, 2); // r1, r2, r4, r5 reach output; r1 and r4 acked
    assert.equal(stats.deadLetters, 2);
  });

  it('rejects when a sink fails, aborts the other sink, and stops pulling the source', async () => {
    let pulled = 0;
    let otherSignal: AbortSignal | undefined;
    const failing: Sink<any> = async (source) => {
      let n = 0;
      for await (const envelope of source) {
        if (++n === 3) throw new Error('disk full');
        envelope.ack();
      }
    };
    const watching: Sink<any> = async (source, innerCtx) => {
      otherSignal = innerCtx!.signal;
      for await (const envelope of source) envelope.ack();
    };
    await assert.rejects(
      routingSink({ output: failing, deadLetter: watching, stats: new RunStats(), bufferSize: 2 })(
        mixed(1000, [], () => pulled++),
        ctx,
      ),
      /disk full/,
    );
    assert.equal(otherSignal?.aborted, true);
    assert.ok(pulled < 20, `pulled ${pulled} of 1000 records after the failure`);
  });

  it("reports the sink's own error even when the sink awaits its cleanup before rejecting (a full disk, not a channel message)", async () => {
    const failing: Sink<any> = async (source) => {
      let n = 0;
      try {
        for await (const envelope of source) {
          if (++n === 3) throw new Error('ENOSPC: no space left on device');
          envelope.ack();
        }
      } finally {
        await new Promise((resolve) => setTimeout(resolve, 20)); // closing the file, as the file sink does
      }
    };
    await assert.rejects(
      routingSink({ output: failing, deadLetter: recordingSink([]), stats: new RunStats(), bufferSize: 2 })(
        mixed(100, []),
        ctx,
      ),
      /ENOSPC/,
    );
  });

  it('rejects when a sink returns before its input ended instead of losing records', async () => {
    const quitter: Sink<any> = async (source) => {
      for await (const envelope of source) {
        envelope.ack();
        return;
      }
    };
    await assert.rejects(
      routingSink({ output: quitter, deadLetter: recordingSink([]), stats: new RunStats(), bufferSize: 1 })(
        mixed(10, []),
        ctx,
      ),
      /the output sink returned before its input ended/,
    );
  });

  it('holds backpressure: a stalled output sink stops the source after the buffers fill', async () => {
    let pulled = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const stalled: Sink<any> = async (source) => {
      await gate;
      for await (const envelope of source) envelope.ack();
    };
    const stats = new RunStats();
    const done = routingSink({ output: stalled, deadLetter: recordingSink([]), stats, bufferSize: 4 })(
      mixed(100, [], () => pulled++),
      ctx,
    );
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    // 4 good records fill the output buffer; the 5th good one blocks the pump (dead letters flow meanwhile).
    assert.ok(pulled <= 8, `pulled ${pulled}`);
    release();
    await done;
    assert.equal(pulled, 100);
    assert.equal(stats.recordsOut + stats.deadLetters, 100);
  });

  it('refuses a record a stopping job left unstarted: neither output nor a dead letter (dropNotStarted belongs before it)', async () => {
    const stats = new RunStats();
    const written: string[] = [];
    const left = withNotStarted(createEnvelope({ id: 'left', value: '{}', meta: { kind: 'memory', index: 1 } }), {
      stage: 'llm-map',
      message: 'stopped',
    });
    // A pipeline without dropNotStarted, as stream.pipeline's untyped form allows.
    const source = (async function* (): AsyncIterable<Envelope<unknown>> {
      yield left as unknown as Envelope<unknown>;
    })();
    await assert.rejects(
      routingSink({ output: recordingSink(written), deadLetter: recordingSink(written), stats })(source, ctx),
      /record left was left unstarted.*dropNotStarted\(\)/,
    );
    assert.deepEqual(written, []);
    assert.equal(stats.recordsOut + stats.deadLetters, 0);
  });
});
