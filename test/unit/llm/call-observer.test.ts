import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deferredCallScope, type CallScope } from '../../../src/llm/call-observer.ts';

function recording(log: string[]): CallScope {
  return {
    permitWaited: (ms) => log.push(`waited:${ms}`),
    attemptStarted: (n) => log.push(`attempt:${n}`),
    attemptEnded: (r) => log.push(`ended:${r.attempt}`),
    end: (r) => log.push(`end:${r.ok}`),
    run: (fn) => {
      log.push('run');
      return fn();
    },
  };
}

test('deferredCallScope: a call that never starts leaves nothing; the first attempt starts it at the original time', () => {
  let clock = 1000;
  const log: string[] = [];
  const starts: number[] = [];
  const start = (startedAt: number) => {
    starts.push(startedAt);
    return recording(log);
  };

  const never = deferredCallScope(start, () => clock);
  never.permitWaited(40);
  never.end({ ok: false, attempts: 0, errorType: 'not_started' });
  assert.deepEqual(starts, []);
  assert.deepEqual(log, []);

  const scope = deferredCallScope(start, () => clock);
  clock += 250;
  scope.permitWaited(250);
  scope.attemptStarted(1);
  void scope.run(async () => undefined);
  scope.attemptEnded({ attempt: 1, latencyMs: 5 });
  scope.end({ ok: true, attempts: 1 });
  assert.deepEqual(starts, [1000], 'started when the call began waiting, not when its permit came');
  assert.deepEqual(log, ['waited:250', 'attempt:1', 'run', 'ended:1', 'end:true']);
});
