import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apportion, shareUsage } from '../../../src/pack/share-usage.ts';

test('shares are integers that sum exactly to the total, proportional to the weights', () => {
  assert.deepEqual(apportion(10, [1, 1, 1]), [4, 3, 3]);
  assert.deepEqual(apportion(100, [10, 30, 60]), [10, 30, 60]);
  assert.deepEqual(apportion(7, [0, 0]), [4, 3]);
  assert.deepEqual(apportion(0, [5, 5]), [0, 0]);
  for (const total of [1, 17, 999, 12345]) {
    const weights = [3, 141, 59, 26, 5];
    const shares = apportion(total, weights);
    assert.equal(
      shares.reduce((a, b) => a + b, 0),
      total,
    );
    shares.forEach((s, i) => assert.ok(Math.abs(s - (total * weights[i]!) / 234) < 1));
  }
});

test('shareUsage splits input and output by prompt size', () => {
  const shares = shareUsage({ inputTokens: 300, outputTokens: 90 }, [100, 200]);
  assert.deepEqual(shares, [
    { inputTokens: 100, outputTokens: 30 },
    { inputTokens: 200, outputTokens: 60 },
  ]);
});
