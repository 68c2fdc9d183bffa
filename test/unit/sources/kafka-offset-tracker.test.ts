import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OffsetTracker } from '../../../src/sources/kafka-offset-tracker.ts';

const offsetsOf = (tracker: OffsetTracker) =>
  tracker.pending().offsets.map((o) => `${o.topic}/${o.partition}@${o.offset}`);

describe('OffsetTracker', () => {
  it('commits nothing until the lowest offset is acked, then the highest contiguous acked offset + 1', () => {
    const tracker = new OffsetTracker();
    const acks = ['10', '11', '12', '13'].map((o) => tracker.track('t', 0, o));
    assert.equal(tracker.inFlight, 4);
    acks[1]!();
    acks[2]!();
    assert.deepEqual(offsetsOf(tracker), []);
    acks[0]!();
    assert.deepEqual(offsetsOf(tracker), ['t/0@13']);
    assert.equal(tracker.inFlight, 1);
    acks[3]!();
    assert.deepEqual(offsetsOf(tracker), ['t/0@14']);
    assert.equal(tracker.inFlight, 0);
  });

  it('treats gaps in offsets (compaction, transaction markers) as contiguous', () => {
    const tracker = new OffsetTracker();
    const a = tracker.track('t', 0, '5');
    const b = tracker.track('t', 0, '9');
    b();
    assert.deepEqual(offsetsOf(tracker), []);
    a();
    assert.deepEqual(offsetsOf(tracker), ['t/0@10']);
  });

  it('keeps partitions and topics independent', () => {
    const tracker = new OffsetTracker();
    const p0 = tracker.track('t', 0, '0');
    tracker.track('t', 1, '0');
    const u0 = tracker.track('u', 0, '7');
    p0();
    u0();
    assert.deepEqual(offsetsOf(tracker).sort(), ['t/0@1', 'u/0@8']);
  });

  it('reports an offset again only after it moved past the last commit', () => {
    const tracker = new OffsetTracker();
    tracker.track('t', 0, '0')();
    const first = tracker.pending();
    tracker.markCommitted(first);
    assert.deepEqual(offsetsOf(tracker), []);
    tracker.track('t', 0, '1')();
    assert.deepEqual(offsetsOf(tracker), ['t/0@2']);
  });

  it('counts every ack once, however often it is called', () => {
    const tracker = new OffsetTracker();
    const ack = tracker.track('t', 0, '0');
    tracker.track('t', 0, '1');
    ack();
    ack();
    assert.equal(tracker.inFlight, 1);
    assert.deepEqual(offsetsOf(tracker), ['t/0@1']);
  });

  it('never commits acks of a generation that ended in a rebalance, but frees their window', () => {
    const tracker = new OffsetTracker();
    const old = [tracker.track('t', 0, '0'), tracker.track('t', 1, '0')];
    assert.equal(tracker.newGeneration(), 1);
    old.forEach((ack) => ack());
    assert.deepEqual(offsetsOf(tracker), []);
    assert.equal(tracker.inFlight, 0);
    // After the rejoin kafkajs restarts from the committed offset: the same offsets are tracked again.
    tracker.track('t', 0, '0')();
    assert.deepEqual(offsetsOf(tracker), ['t/0@1']);
  });

  it('ignores a commit result that belongs to an older generation', () => {
    const tracker = new OffsetTracker();
    tracker.track('t', 0, '0')();
    const stale = tracker.pending();
    tracker.newGeneration();
    tracker.track('t', 0, '0')();
    tracker.markCommitted(stale);
    assert.deepEqual(offsetsOf(tracker), ['t/0@1']);
  });

  it('rejects offsets that go backwards within a generation', () => {
    const tracker = new OffsetTracker();
    tracker.track('t', 0, '5');
    assert.throws(() => tracker.track('t', 0, '5'), /must increase/);
  });

  it('handles offsets beyond 2^53 exactly', () => {
    const tracker = new OffsetTracker();
    tracker.track('t', 0, '9007199254740993')();
    assert.deepEqual(offsetsOf(tracker), ['t/0@9007199254740994']);
  });

  it('stays correct across many acks out of order (compaction path)', () => {
    const tracker = new OffsetTracker();
    const acks = Array.from({ length: 5000 }, (_, i) => tracker.track('t', 0, String(i)));
    for (let i = acks.length - 1; i >= 1; i--) acks[i]!();
    assert.deepEqual(offsetsOf(tracker), []);
    acks[0]!();
    assert.deepEqual(offsetsOf(tracker), ['t/0@5000']);
    for (let i = 5000; i < 7000; i++) tracker.track('t', 0, String(i))();
    assert.deepEqual(offsetsOf(tracker), ['t/0@7000']);
    assert.equal(tracker.pendingIn('t', 0), 0);
  });
});
