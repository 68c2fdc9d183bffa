import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunStats } from '../../../src/core/run-stats.ts';
import { collect, fromArray } from '../../../src/core/stage.ts';
import { parseJsonArray } from '../../../src/stages/parse-json-array.ts';

const origin = { kind: 'file', path: 'reviews.json' } as const;

function parse(chunks: (string | Buffer)[], stats = new RunStats()) {
  return collect(parseJsonArray({ idField: 'id', origin, stats })(fromArray(chunks)));
}

describe('parseJsonArray', () => {
  it('streams the elements with ids from the id field or item:N', async () => {
    const stats = new RunStats();
    const out = await parse(['[{"id":"a","t":1},', '{"t":2}, {"id":7', ',"t":3}]'], stats);
    assert.deepEqual(
      out.map((e) => e.id),
      ['a', 'item:2', '7'],
    );
    assert.deepEqual(
      out.map((e) => e.value),
      [{ id: 'a', t: 1 }, { t: 2 }, { id: 7, t: 3 }],
    );
    assert.deepEqual(out[1]?.meta, { kind: 'file', path: 'reviews.json', line: 2 });
    assert.equal(stats.recordsIn, 3);
  });

  it('fails non-object elements with not_an_object and keeps going', async () => {
    const out = await parse(['[{"id":"a"}, 3, "x", null, [1], {"id":"b"}]']);
    assert.deepEqual(
      out.map((e) => [e.id, e.failure?.reason]),
      [
        ['a', undefined],
        ['item:2', 'not_an_object'],
        ['item:3', 'not_an_object'],
        ['item:4', 'not_an_object'],
        ['item:5', 'not_an_object'],
        ['b', undefined],
      ],
    );
    assert.equal(out[2]?.raw, '"x"');
    assert.equal(out[1]?.failure?.stage, 'parse-json-array');
  });

  it('ends with one invalid_json_array failure at a syntax error; earlier elements stand', async () => {
    const stats = new RunStats();
    const out = await parse(['[{"id":"a"},{"id":"b"},', '{"id": oops}, {"id":"c"}]'], stats);
    assert.deepEqual(
      out.map((e) => [e.id, e.failure?.reason]),
      [
        ['a', undefined],
        ['b', undefined],
        ['item:3', 'invalid_json_array'],
      ],
    );
    assert.match(out[2]?.failure?.message ?? '', /broken at element 3 \(.*JSON/);
    assert.equal(out[2]?.raw, '{"id": oops}');
    assert.equal(stats.recordsIn, 3);
  });

  it('a break after 1,000 elements read in one chunk yields all 1,000 first, then one failure naming where', async () => {
    const elements = Array.from({ length: 1000 }, (_, i) =>
      JSON.stringify({ id: `r${i}`, text: `review ${i}: "quoted" [brackets] {braces} \\ backslash` }),
    );
    const out = await parse([`[${elements.join(',\n')},\n{"id":"broken", "text": ]`]);
    assert.equal(out.length, 1001);
    assert.deepEqual(
      out.slice(0, 1000).map((e) => e.id),
      elements.map((_, i) => `r${i}`),
    );
    assert.ok(out.slice(0, 1000).every((e) => !e.failure));
    assert.equal(out[1000]?.failure?.reason, 'invalid_json_array');
    assert.match(out[1000]?.failure?.message ?? '', /after element 1000 \(near character \d+\): unexpected '\]'/);
  });

  it('splits elements whose strings hold brackets, commas and escaped quotes, across any chunk boundary', async () => {
    const text = '[ {"id":"a","t":"x]},\\"[{"} ,"s",{"id":"b","n":[1,{"k":"}"}]}, 12 ,true,null]';
    for (let cut = 1; cut < text.length; cut++) {
      const out = await parse([text.slice(0, cut), text.slice(cut)]);
      assert.deepEqual(
        out.map((e) => [e.id, e.failure?.reason]),
        [
          ['a', undefined],
          ['item:2', 'not_an_object'],
          ['b', undefined],
          ['item:4', 'not_an_object'],
          ['item:5', 'not_an_object'],
          ['item:6', 'not_an_object'],
        ],
        `cut at ${cut}`,
      );
      assert.deepEqual(out[0]?.value, { id: 'a', t: 'x]},"[{' });
    }
  });

  it('decodes a multi-byte character split between two chunks', async () => {
    const bytes = Buffer.from('[{"id":"z","text":"物流太慢"}]');
    const out = await parse([bytes.subarray(0, 20), bytes.subarray(20)]);
    assert.deepEqual(out[0]?.value, { id: 'z', text: '物流太慢' });
  });

  it('an element longer than maxElementChars is a line_too_long failure; the next ones still come', async () => {
    const out = await collect(
      parseJsonArray({ idField: 'id', origin, stats: new RunStats(), maxElementChars: 50 })(
        fromArray([`[{"id":"a"},{"id":"big","t":"${'x'.repeat(200)}"},{"id":"c"}]`]),
      ),
    );
    assert.deepEqual(
      out.map((e) => [e.id, e.failure?.reason]),
      [
        ['a', undefined],
        ['item:2', 'line_too_long'],
        ['c', undefined],
      ],
    );
  });

  it('a numeric id keeps its digits as written, beyond what a double holds', async () => {
    const out = await parse(['[{"id": 12345678901234567890, "t": 1}, {"nested": {"id": 1}, "id": 42}]']);
    assert.deepEqual(
      out.map((e) => e.id),
      ['12345678901234567890', '42'],
    );
  });

  it('refuses empty elements and text after the closing bracket', async () => {
    for (const bad of ['[{"id":"a"},,{"id":"b"}]', '[{"id":"a"},]', '[{"id":"a"}] x']) {
      const out = await parse([bad]);
      assert.equal(out.at(-1)?.failure?.reason, 'invalid_json_array', bad);
      assert.equal(out[0]?.id, 'a', bad);
    }
    assert.deepEqual(await parse(['  [ ]  ']), []);
  });

  it('fails a top level that is not an array, and a truncated file', async () => {
    const notArray = await parse(['{"id":"a"}']);
    assert.deepEqual(
      notArray.map((e) => [e.id, e.failure?.reason]),
      [['item:1', 'invalid_json_array']],
    );
    const truncated = await parse(['[{"id":"a"},{"id":"b"']);
    assert.deepEqual(
      truncated.map((e) => [e.id, e.failure?.reason]),
      [
        ['a', undefined],
        ['item:2', 'invalid_json_array'],
      ],
    );
  });

  it('propagates errors of the source itself', async () => {
    async function* broken() {
      yield '[{"id":"a"},';
      throw new Error('disk gone');
    }
    await assert.rejects(
      collect(parseJsonArray({ idField: 'id', origin, stats: new RunStats() })(broken())),
      /disk gone/,
    );
  });

  it('stops with the abort reason when the signal aborts', async () => {
    const controller = new AbortController();
    async function* endless() {
      yield '[';
      for (let i = 1; ; i++) yield `${i > 1 ? ',' : ''}{"id":"r${i}"}`;
    }
    const items = parseJsonArray({ idField: 'id', origin, stats: new RunStats() })(endless(), {
      signal: controller.signal,
    });
    const seen: string[] = [];
    await assert.rejects(async () => {
      for await (const item of items) {
        seen.push(item.id);
        if (seen.length === 3) controller.abort(new Error('stop reading'));
      }
    }, /stop reading/);
    assert.ok(seen.length >= 3 && seen.length < 100, `saw ${seen.length} elements`);
  });

  it('yields the first of 10,000 elements before the source is finished', async () => {
    let chunksRead = 0;
    const total = 10_000;
    async function* source() {
      yield '[';
      for (let i = 1; i <= total; i++) {
        chunksRead++;
        yield `${i > 1 ? ',' : ''}{"id":"r${i}","text":"review number ${i}"}`;
      }
      yield ']';
    }
    const stats = new RunStats();
    const iterator = parseJsonArray({ idField: 'id', origin, stats })(source())[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.equal(first.done, false);
    assert.equal(first.done ? undefined : first.value.id, 'r1');
    const readAtFirst = chunksRead;
    assert.ok(readAtFirst < total / 10, `read ${readAtFirst} of ${total} elements before yielding the first`);
    let count = 1;
    let last = '';
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      count++;
      last = next.value.id;
    }
    assert.equal(count, total);
    assert.equal(last, `r${total}`);
    assert.equal(stats.recordsIn, total);
  });
});
