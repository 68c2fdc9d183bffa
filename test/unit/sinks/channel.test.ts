import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collect } from '../../../src/core/stage.ts';
import { AsyncChannel } from '../../../src/sinks/channel.ts';

describe('AsyncChannel', () => {
  it('delivers pushed items in order and ends after end()', async () => {
    const channel = new AsyncChannel<number>(2);
    const reading = collect(channel);
    for (let i = 1; i <= 5; i++) await channel.push(i);
    channel.end();
    assert.deepEqual(await reading, [1, 2, 3, 4, 5]);
    assert.equal(channel.drained, true);
  });

  it('blocks push at capacity until the reader takes an item', async () => {
    const channel = new AsyncChannel<number>(2);
    await channel.push(1);
    await channel.push(2);
    let third = false;
    const pushing = channel.push(3).then(() => (third = true));
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(third, false);
    assert.equal(channel.size, 2);
    const iterator = channel[Symbol.asyncIterator]();
    assert.deepEqual(await iterator.next(), { done: false, value: 1 });
    await pushing;
    assert.equal(third, true);
  });

  it('fail() rejects the reader and waiting writers', async () => {
    const channel = new AsyncChannel<number>(1);
    await channel.push(1);
    const blocked = channel.push(2);
    channel.fail(new Error('boom'));
    await assert.rejects(blocked, /boom/);
    await assert.rejects(collect(channel), /boom/);
  });

  it('rejects pushes once the reader stopped early', async () => {
    const channel = new AsyncChannel<number>(4);
    await channel.push(1);
    for await (const item of channel) {
      assert.equal(item, 1);
      break;
    }
    await assert.rejects(channel.push(2), /consumer of this channel stopped/);
  });
});
