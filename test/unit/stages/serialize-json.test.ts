import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEnvelope, withFailure } from '../../../src/core/envelope.ts';
import { collect, fromArray } from '../../../src/core/stage.ts';
import { serializeJson } from '../../../src/stages/serialize-json.ts';

const ctx = { signal: new AbortController().signal };
const meta = { kind: 'memory', index: 0 } as const;

describe('serializeJson', () => {
  it('turns values into one JSON line each and passes failures through untouched', async () => {
    let acks = 0;
    const ok = createEnvelope({ id: 'a', value: { id: 'a', text: 'line\nbreak', n: 1 }, meta, ack: () => acks++ });
    const failed = withFailure(createEnvelope({ id: 'b', value: 'raw', meta }), {
      stage: 'parse-json',
      reason: 'invalid_json',
      message: 'x',
      retriable: false,
      attempts: [],
    });
    const out = await collect(serializeJson()(fromArray([ok, failed]), ctx));
    assert.equal(out[0]?.value, '{"id":"a","text":"line\\nbreak","n":1}');
    assert.ok(!out[0]?.value.includes('\n'));
    assert.equal(out[0]?.id, 'a');
    assert.equal(out[1], failed as unknown);
    out[0]?.ack();
    assert.equal(acks, 1);
  });

  it('fails records JSON cannot represent instead of throwing', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const input = [
      createEnvelope({ id: 'big', value: { n: 1n }, meta }),
      createEnvelope({ id: 'cycle', value: cyclic, meta }),
      createEnvelope({ id: 'undef', value: undefined, meta }),
      createEnvelope({ id: 'fine', value: [1], meta }),
    ];
    const out = await collect(serializeJson()(fromArray(input), ctx));
    assert.deepEqual(
      out.map((e) => [e.id, e.failure?.reason]),
      [
        ['big', 'unserializable'],
        ['cycle', 'unserializable'],
        ['undef', 'unserializable'],
        ['fine', undefined],
      ],
    );
    assert.equal(out[3]?.value, '[1]');
    assert.equal(out[0]?.failure?.stage, 'serialize-json');
  });
});
