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

test('network failures count only until the first success: after it the base URL is proven and a blip must not stop the job', () => {
  const streak = new FailureStreak(2);
  assert.equal(streak.failure('network'), false);
  assert.equal(streak.failure('network'), true, 'a base URL that never worked');
  const proven = new FailureStreak(2);
  proven.success();
  assert.equal(proven.failure('network'), false);
  assert.equal(proven.failure('network'), false);
  assert.equal(proven.failure('network'), false, 'not counted once a call succeeded');
  assert.equal(proven.failure('unauthorized'), false);
  assert.equal(proven.failure('unauthorized'), true, 'a key revoked mid-job still stops it');
});
