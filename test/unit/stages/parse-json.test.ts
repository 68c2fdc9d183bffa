import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEnvelope, type Envelope } from '../../../src/core/envelope.ts';
import { RunStats } from '../../../src/core/run-stats.ts';
import { collect, fromArray } from '../../../src/core/stage.ts';
import { parseJsonLines } from '../../../src/stages/parse-json.ts';
import { readLines } from '../../../src/stages/read-lines.ts';

const ctx = { signal: new AbortController().signal };

function lineEnvelope(line: number, value: string): Envelope<string> {
  return createEnvelope({ id: `line:${line}`, value, raw: value, meta: { kind: 'file', path: 'in.jsonl', line } });
}

describe('parseJsonLines', () => {
  it('parses objects, takes the id field when usable, keeps line:N otherwise', async () => {
    const input = [
      lineEnvelope(1, '{"id":"r-1","text":"good"}'),
      lineEnvelope(2, '{"id":42,"text":"ok"}'),
      lineEnvelope(3, '{"id":"","text":"empty id"}'),
      lineEnvelope(4, '{"id":null,"text":"null id"}'),
      lineEnvelope(5, '{"text":"no id"}'),
      lineEnvelope(6, '{"id":{"x":1}}'),
    ];
    const out = await collect(parseJsonLines({ idField: 'id' })(fromArray(input), ctx));
    assert.deepEqual(
      out.map((e) => e.id),
      ['r-1', '42', 'line:3', 'line:4', 'line:5', 'line:6'],
    );
    assert.deepEqual(out[0]?.value, { id: 'r-1', text: 'good' });
    assert.equal(out[0]?.raw, '{"id":"r-1","text":"good"}');
    assert.deepEqual(out[0]?.meta, { kind: 'file', path: 'in.jsonl', line: 1 });
    assert.ok(out.every((e) => e.failure === undefined));
  });

  it('a numeric id past 2^53 keeps the digits as written (JSON.parse would round it)', async () => {
    const input = [
      lineEnvelope(1, '{"text":"a","meta":{"id":7},"id": 12345678901234567890}'),
      lineEnvelope(2, '{"id":-98765432109876543210.5}'),
    ];
    const out = await collect(parseJsonLines({ idField: 'id' })(fromArray(input), ctx));
    assert.deepEqual(
      out.map((e) => e.id),
      ['12345678901234567890', '-98765432109876543210.5'],
    );
  });

  it('fails invalid JSON with the parser message and non-objects with not_an_object, in order', async () => {
    const input = [
      lineEnvelope(1, '{"id":"a"}'),
      lineEnvelope(2, '{"id":"b",'),
      lineEnvelope(3, '[1,2]'),
      lineEnvelope(4, '"text"'),
      lineEnvelope(5, 'null'),
      lineEnvelope(6, '17'),
      lineEnvelope(7, '{"id":"c"}'),
    ];
    const out = await collect(parseJsonLines({ idField: 'id' })(fromArray(input), ctx));
    assert.deepEqual(
      out.map((e) => [e.id, e.failure?.reason]),
      [
        ['a', undefined],
        ['line:2', 'invalid_json'],
        ['line:3', 'not_an_object'],
        ['line:4', 'not_an_object'],
        ['line:5', 'not_an_object'],
        ['line:6', 'not_an_object'],
        ['c', undefined],
      ],
    );
    assert.match(out[1]?.failure?.message ?? '', /^invalid JSON: .*(JSON|end|Expected)/);
    assert.equal(out[1]?.failure?.stage, 'parse-json');
    assert.equal(out[1]?.value as unknown, '{"id":"b",');
    assert.match(out[2]?.failure?.message ?? '', /got an array/);
    assert.match(out[4]?.failure?.message ?? '', /got null/);
  });

  it('passes upstream failures through untouched (same object) and in place', async () => {
    const stats = new RunStats();
    const bad = Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xc3]), Buffer.from('"}\n')]);
    const lines = readLines({ maxLineBytes: 100, origin: { kind: 'stdin' }, stats })(
      fromArray([Buffer.from('{"id":"x"}\n'), bad, Buffer.from('{"id":"y"}\n')]),
    );
    const upstream = await collect(lines);
    const out = await collect(parseJsonLines({ idField: 'id' })(fromArray(upstream), ctx));
    assert.deepEqual(
      out.map((e) => [e.id, e.failure?.reason]),
      [
        ['x', undefined],
        ['line:2', 'invalid_utf8'],
        ['y', undefined],
      ],
    );
    assert.equal(out[1], upstream[1] as unknown);
  });

  it('shares the ack with the line envelope', async () => {
    let acks = 0;
    const input = [
      createEnvelope({ id: 'line:1', value: '{"id":"a"}', meta: { kind: 'stdin', line: 1 }, ack: () => acks++ }),
    ];
    const [parsed] = await collect(parseJsonLines({ idField: 'id' })(fromArray(input), ctx));
    parsed?.ack();
    parsed?.ack();
    assert.equal(acks, 1);
  });

  it('pulls lazily: reading 3 records pulls 3 lines from a 1000-line source', async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 1; i <= 1000; i++) {
        pulled++;
        yield lineEnvelope(i, `{"id":"r${i}"}`);
      }
    }
    const iterator = parseJsonLines({ idField: 'id' })(source(), ctx)[Symbol.asyncIterator]();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const next = await iterator.next();
      if (!next.done) ids.push(next.value.id);
    }
    await iterator.return?.();
    assert.deepEqual(ids, ['r1', 'r2', 'r3']);
    assert.equal(pulled, 3);
  });
});
