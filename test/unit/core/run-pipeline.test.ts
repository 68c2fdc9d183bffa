import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createEnvelope, type OkEnvelope } from '../../../src/core/envelope.ts';
import { JobStop } from '../../../src/core/errors.ts';
import { startPipeline, untilStopped } from '../../../src/core/run-pipeline.ts';
import { GraceExpired, stopExitCode, type StopReason } from '../../../src/core/stop-reason.ts';

function envelope(index: number): OkEnvelope<number> {
  return createEnvelope({ id: String(index), value: index, meta: { kind: 'memory', index } });
}

/** A source that yields `ready` items, then blocks forever (like an idle stdin or Kafka topic). */
async function* blockingSource(ready: number): AsyncGenerator<OkEnvelope<number>> {
  for (let i = 0; i < ready; i++) yield envelope(i);
  await new Promise(() => {});
}

describe('untilStopped', () => {
  test('ends a blocked source when stopped, keeping what was read', async () => {
    const stop = new AbortController();
    const seen: number[] = [];
    for await (const item of untilStopped(blockingSource(3), stop.signal)) {
      seen.push(item.value);
      if (seen.length === 3) setImmediate(() => stop.abort());
    }
    assert.deepEqual(seen, [0, 1, 2]);
  });
});

describe('startPipeline', () => {
  test('stop() drains what is inside and resolves; records after the stop are not read', async () => {
    const written: number[] = [];
    let running: ReturnType<typeof startPipeline> | undefined;
    running = startPipeline(
      {
        source: blockingSource(5),
        framing: [],
        stages: [
          async function* double(source: AsyncIterable<OkEnvelope<number>>) {
            for await (const e of source) {
              if (e.value === 2) running?.stop({ kind: 'signal', signal: 'SIGTERM' });
              yield { ...e, value: e.value * 2 };
            }
          },
        ],
        sink: async (source: AsyncIterable<OkEnvelope<number>>) => {
          for await (const e of source) written.push(e.value);
        },
      },
      { graceMs: 10_000 },
    );
    await running.done;
    assert.deepEqual(running.stopReason, { kind: 'signal', signal: 'SIGTERM' });
    // The stop point sits before `double`: items already past it (0..2) complete; nothing new is pulled after.
    assert.deepEqual(written.slice(0, 3), [0, 2, 4]);
    assert.ok(written.length <= 4, `at most one item in the stop-point's hand, got ${written.length}`);
  });

  test('a failing sink rejects the run (a stream failure, not a record failure)', async () => {
    const running = startPipeline(
      {
        source: blockingSource(2),
        framing: [],
        stages: [],
        sink: async (source: AsyncIterable<unknown>) => {
          for await (const _ of source) throw new Error('disk full');
        },
      },
      { graceMs: 1000 },
    );
    await assert.rejects(running.done, /disk full/);
  });

  test('a stop whose calls outlast the grace period aborts with GraceExpired, carrying the typed reason (never matched by text)', async () => {
    const stop: StopReason = {
      kind: 'job_stop',
      stop: new JobStop('quota_exhausted', 'the provider reports the quota is exhausted'),
    };
    const seen: StopReason[] = [];
    const running = startPipeline(
      {
        source: blockingSource(1),
        framing: [],
        stages: [
          async function* stuck(source: AsyncIterable<OkEnvelope<number>>, ctx: { signal: AbortSignal }) {
            for await (const e of source) {
              running.stop(stop);
              // A call in flight that never finishes by itself: only the abort ends it.
              await new Promise((_, reject) =>
                ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }),
              );
              yield e;
            }
          },
        ],
        sink: async (source: AsyncIterable<unknown>) => {
          for await (const _ of source);
        },
        onStop: (reason) => seen.push(reason),
      },
      { graceMs: 1 },
    );
    const error: unknown = await running.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof GraceExpired, `rejected with ${String(error)}`);
    assert.equal(error.reason, stop, 'the reason the stop was given, as a value');
    assert.equal(error.message, 'quota_exhausted: grace period over', 'the message is unchanged (for people only)');
    assert.deepEqual(seen, [stop], 'onStop hears the typed reason once');
    assert.equal(stopExitCode(error.reason), 4);
  });
});

describe('stopExitCode', () => {
  test('the exit code follows from the typed reason (README "Exit codes")', () => {
    assert.equal(stopExitCode({ kind: 'signal', signal: 'SIGINT' }), 130);
    assert.equal(stopExitCode({ kind: 'signal', signal: 'SIGTERM' }), 143);
    assert.equal(stopExitCode({ kind: 'budget' }), 5);
    assert.equal(stopExitCode({ kind: 'cancelled' }), 7);
    assert.equal(stopExitCode({ kind: 'job_stop', stop: new JobStop('endpoint_failing', 'every call refused') }), 6);
    assert.equal(stopExitCode({ kind: 'job_stop', stop: new JobStop('missing_field', 'no record has "text"') }), 2);
  });
});
