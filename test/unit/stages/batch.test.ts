import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collect, fromArray } from '../../../src/core/stage.ts';
import { AsyncChannel } from '../../../src/sinks/channel.ts';
import { batch, type BatchTimer } from '../../../src/stages/batch.ts';

/** Timers fired by hand: tests decide when "maxWaitMs" has passed. */
class ManualTimer implements BatchTimer {
  #next = 0;
  readonly pending = new Map<number, { callback: () => void; ms: number }>();
  set(callback: () => void, ms: number): unknown {
    const id = ++this.#next;
    this.pending.set(id, { callback, ms });
    return id;
  }
  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  fireAll(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const { callback } of due) callback();
  }
}

/** Lets queued promise callbacks run (no timers involved). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('batch', () => {
  it('groups by count and flushes the remainder at the end', async () => {
    const out = await collect(
      batch<number>({ size: 3, maxWaitMs: 1000, timer: new ManualTimer() })(fromArray([1, 2, 3, 4, 5, 6, 7])),
    );
    assert.deepEqual(out, [[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('size 1 yields every item alone; an empty source yields nothing', async () => {
    assert.deepEqual(await collect(batch<string>({ size: 1, maxWaitMs: 5 })(fromArray(['a', 'b']))), [['a'], ['b']]);
    assert.deepEqual(await collect(batch<string>({ size: 4, maxWaitMs: 5 })(fromArray([]))), []);
  });

  it('flushes a partial batch when maxWaitMs passes after its first item, and arms no timer while empty', async () => {
    const timer = new ManualTimer();
    const source = new AsyncChannel<number>(10);
    const iterator = batch<number>({ size: 10, maxWaitMs: 50, timer })(source)[Symbol.asyncIterator]();
    const first = iterator.next();
    await settle();
    assert.equal(timer.pending.size, 0, 'no timer before the first item');
    await source.push(1);
    await source.push(2);
    await settle();
    assert.deepEqual(
      [...timer.pending.values()].map((t) => t.ms),
      [50],
    );
    timer.fireAll();
    assert.deepEqual(await first, { done: false, value: [1, 2] });
    const second = iterator.next();
    await settle();
    assert.equal(timer.pending.size, 0, 'no timer while the next batch is empty');
    await source.push(3);
    source.end();
    assert.deepEqual(await second, { done: false, value: [3] });
    assert.deepEqual(await iterator.next(), { done: true, value: undefined });
    assert.equal(timer.pending.size, 0, 'timers are cleared');
  });

  it('keeps the pull that lost the race against the timer for the next batch (nothing lost, order kept)', async () => {
    const timer = new ManualTimer();
    const source = new AsyncChannel<number>(10);
    const iterator = batch<number>({ size: 3, maxWaitMs: 10, timer })(source)[Symbol.asyncIterator]();
    const first = iterator.next();
    await source.push(1);
    await settle();
    timer.fireAll(); // a pull is pending now
    assert.deepEqual((await first).value, [1]);
    await source.push(2);
    await source.push(3);
    await source.push(4);
    assert.deepEqual((await iterator.next()).value, [2, 3, 4]);
    source.end();
    assert.equal((await iterator.next()).done, true);
  });

  it('pulls lazily: a full batch is yielded without reading ahead', async () => {
    let pulled = 0;
    let cleanedUp = false;
    async function* source() {
      try {
        for (let i = 1; i <= 100; i++) {
          pulled++;
          yield i;
        }
      } finally {
        cleanedUp = true;
      }
    }
    const iterator = batch<number>({ size: 4, maxWaitMs: 1000, timer: new ManualTimer() })(source())[
      Symbol.asyncIterator
    ]();
    assert.deepEqual((await iterator.next()).value, [1, 2, 3, 4]);
    assert.equal(pulled, 4);
    await iterator.return?.();
    assert.equal(cleanedUp, true, 'stopping early returns the source');
  });

  it('rejects with the abort reason while waiting', async () => {
    const controller = new AbortController();
    const source = new AsyncChannel<number>(10);
    const iterator = batch<number>({ size: 5, maxWaitMs: 1000, timer: new ManualTimer() })(source, {
      signal: controller.signal,
    })[Symbol.asyncIterator]();
    const waiting = iterator.next();
    await source.push(1);
    await settle();
    controller.abort(new Error('cancelled'));
    await assert.rejects(waiting, /cancelled/);
  });

  it('validates its options', () => {
    assert.throws(() => batch({ size: 0, maxWaitMs: 1 }), /size must be an integer ≥ 1/);
    assert.throws(() => batch({ size: 2.5, maxWaitMs: 1 }), /size/);
    assert.throws(() => batch({ size: 2, maxWaitMs: -1 }), /maxWaitMs/);
  });
});
