/**
 * Regression test for a leak found by bench/memory.ts: `untilStopped` raced every item against ONE long-lived
 * pending promise, and each race left a reaction on it that kept the item alive until the run stopped (RSS
 * 1.1 GB at 100k records). Items that went through must be collectable while the stop signal is still pending.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { untilStopped } from '../../../src/core/run-pipeline.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function* items(count: number, bytes: number): AsyncGenerator<{ payload: Buffer }> {
  for (let i = 0; i < count; i++) yield { payload: Buffer.alloc(bytes, i % 256) };
}

function liveBytes(): number {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

test('items passed through untilStopped are not retained while the stop signal is pending', async () => {
  const stop = new AbortController(); // never aborted during the loop: the leaking case
  const before = liveBytes();
  let seen = 0;
  for await (const item of untilStopped(items(2_000, 16 * 1024), stop.signal)) {
    seen += item.payload.length > 0 ? 1 : 0;
  }
  assert.equal(seen, 2_000);
  const grown = liveBytes() - before;
  // Retaining them would hold 2,000 × 16 KiB ≈ 32 MB; allow a few MB of unrelated allocation.
  assert.ok(grown < 8 * 1024 * 1024, `live memory grew by ${(grown / 1e6).toFixed(1)} MB after the loop`);
  stop.abort();
});
