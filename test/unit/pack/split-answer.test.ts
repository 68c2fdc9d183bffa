import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileOutputSchema } from '../../../src/llm/output-schema.ts';
import { splitPackedAnswer } from '../../../src/pack/split-answer.ts';

const schema = compileOutputSchema({
  type: 'object',
  properties: { n: { type: 'number' } },
  required: ['n'],
  additionalProperties: false,
});

test('split by id: swapped order lands on the right ids', () => {
  const split = splitPackedAnswer(
    {
      items: [
        { id: 'b', result: { n: 2 } },
        { id: 'a', result: { n: 1 } },
      ],
    },
    ['a', 'b'],
    schema,
  );
  assert.deepEqual(
    [...split.accepted],
    [
      ['a', { n: 1 }],
      ['b', { n: 2 }],
    ],
  );
  assert.equal(split.rejected.size, 0);
});

test('missing, duplicated, invalid and unknown ids', () => {
  const answer = {
    items: [
      { id: 'a', result: { n: 1 } },
      { id: 'b', result: { n: 2 } },
      { id: 'b', result: { n: 2 } },
      { id: 'c', result: { n: 'x' } },
      { id: 'zz', result: { n: 9 } },
      { result: { n: 9 } },
    ],
  };
  const split = splitPackedAnswer(answer, ['a', 'b', 'c', 'd'], schema);
  assert.deepEqual([...split.accepted.keys()], ['a']);
  assert.equal(split.rejected.get('b')?.problem, 'duplicated');
  assert.equal(split.rejected.get('c')?.problem, 'invalid');
  assert.match(split.rejected.get('c')?.error ?? '', /n:/);
  assert.equal(split.rejected.get('d')?.problem, 'missing');
  assert.equal(split.unknownIds, 2);
});

test('an answer of the wrong shape rejects every id as missing', () => {
  for (const answer of [undefined, null, 'text', { items: 'no' }, [{ id: 'a', result: { n: 1 } }]]) {
    const split = splitPackedAnswer(answer, ['a', 'b'], schema);
    assert.equal(split.accepted.size, 0);
    assert.deepEqual(
      [...split.rejected.values()].map((r) => r.problem),
      ['missing', 'missing'],
    );
  }
});
