import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FailureStreak } from '../../../src/llm/failure-streak.ts';

test('consecutive endpoint failures reach the threshold; a success resets; record-level failures neither count nor reset', () => {
  const streak = new FailureStreak(3);
  assert.equal(streak.failure('network', 'fetch failed: getaddrinfo ENOTFOUND api.example.con'), false);
  assert.equal(streak.failure('unauthorized'), false);
  assert.equal(streak.failure('bad_request'), false, 'a 400 can be the record itself: not counted');
  assert.equal(streak.failure('server_error'), false);
  assert.equal(streak.failure('not_found'), true, 'third endpoint failure in a row');
  streak.success();
  assert.equal(streak.failure('forbidden'), false, 'a success started the count again');
});

test('an unreachable host counts only until the first success; other network failures never count', () => {
  const refused = 'network error: Connection error.: fetch failed: connect ECONNREFUSED 127.0.0.1:1';
  const streak = new FailureStreak(2);
  assert.equal(streak.failure('network', 'network error: Connection error.: fetch failed: other side closed'), false);
  assert.equal(streak.failure('network', 'network error: Connection error.'), false, 'a blip, not a wrong URL');
  assert.equal(streak.failure('network', refused), false);
  assert.equal(streak.failure('network', refused), true, 'a base URL that never worked');
  const proven = new FailureStreak(2);
  proven.success();
  assert.equal(proven.failure('network', refused), false);
  assert.equal(proven.failure('network', refused), false, 'not counted once a call succeeded: the URL is right');
  assert.equal(proven.failure('unauthorized'), false);
  assert.equal(proven.failure('unauthorized'), true, 'a key revoked mid-job still stops it');
});
