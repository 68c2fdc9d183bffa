import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FailureStreak } from '../../../src/llm/failure-streak.ts';

test('consecutive endpoint failures reach the threshold; a success resets; record-level failures neither count nor reset', () => {
  const streak = new FailureStreak(3);
  assert.equal(streak.failure('network'), false);
  assert.equal(streak.failure('unauthorized'), false);
  assert.equal(streak.failure('bad_request'), false, 'a 400 can be the record itself: not counted');
  assert.equal(streak.failure('server_error'), false);
  assert.equal(streak.failure('not_found'), true, 'third endpoint failure in a row');
  streak.success();
  assert.equal(streak.failure('forbidden'), false, 'a success started the count again');
});
