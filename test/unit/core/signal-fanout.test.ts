import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { SignalFanout } from '../../../src/core/signal-fanout.ts';

test('children abort with the parent and its reason; released children do not', () => {
  const parent = new AbortController();
  const fanout = new SignalFanout(parent.signal);
  const kept = fanout.child();
  const released = fanout.child();
  released.release();
  assert.equal(fanout.size, 1);
  const reason = new Error('stop');
  parent.abort(reason);
  assert.equal(kept.signal.aborted, true);
  assert.equal(kept.signal.reason, reason);
  assert.equal(released.signal.aborted, false);
  assert.equal(fanout.size, 0);
});

test('a child of an aborted parent is aborted at once and not kept', () => {
  const parent = new AbortController();
  parent.abort(new Error('gone'));
  const fanout = new SignalFanout(parent.signal);
  const child = fanout.child();
  assert.equal(child.signal.aborted, true);
  assert.equal((child.signal.reason as Error).message, 'gone');
  assert.equal(fanout.size, 0);
});

test('the parent carries one listener however many children come and go', () => {
  const parent = new AbortController();
  const fanout = new SignalFanout(parent.signal);
  const children = Array.from({ length: 1000 }, () => fanout.child());
  assert.equal(getEventListeners(parent.signal, 'abort').length, 1);
  for (const child of children) child.release();
  assert.equal(fanout.size, 0);
  assert.equal(getEventListeners(parent.signal, 'abort').length, 1);
});

test('a released child is reused only when it never aborted and nothing listens to it any more', () => {
  const parent = new AbortController();
  const fanout = new SignalFanout(parent.signal);
  const clean = fanout.child();
  clean.release();
  assert.equal(fanout.child().signal, clean.signal, 'reused');

  const listened = fanout.child();
  listened.signal.addEventListener('abort', () => undefined);
  listened.release();
  const next = fanout.child();
  assert.notEqual(next.signal, listened.signal, 'a child someone still listens to is not handed out again');

  next.release();
  next.release(); // a second release changes nothing
  const a = fanout.child();
  const b = fanout.child();
  assert.notEqual(a.signal, b.signal, 'released twice, pooled once');
  parent.abort(new Error('stop'));
  assert.ok(a.signal.aborted && b.signal.aborted);
  assert.equal(fanout.child().signal.aborted, true, 'after the parent aborted, no spare is handed out un-aborted');
});
