import assert from 'node:assert/strict';
import { test } from 'node:test';
import { packedSchema, packedUserMessage } from '../../../src/pack/packed-format.ts';
import { packedAnswer } from '../../../src/sim/packed-answer.ts';
import { createRng } from '../../../src/sim/rng.ts';
import { simulatedAnswer } from '../../../src/sim/simulated-answer.ts';

const schema = {
  type: 'object',
  properties: {
    sentiment: { type: 'string', enum: ['positive', 'negative', 'neutral'] },
    features: { type: 'array', items: { type: 'string' } },
    suggestion: { type: 'string' },
  },
  required: ['sentiment', 'features', 'suggestion'],
  additionalProperties: false,
};
const items = Array.from({ length: 6 }, (_, i) => ({
  id: `r${i}`,
  input: `Review: the battery ${i % 2 ? 'died fast' : 'is great'} (#${i})`,
}));
const request = { lastUserMessage: packedUserMessage(items), schema: packedSchema(schema) };
const none = { faultPackDropRate: 0, faultPackSwapRate: 0, faultPackDuplicateRate: 0 };
type Answer = { items: Array<{ id: string; result: unknown }> };

test('each item gets the answer of its own input asked alone', () => {
  const faults: Record<string, number> = {};
  const answer = packedAnswer(request, none, createRng(1), faults) as Answer;
  assert.deepEqual(
    answer.items.map((x) => x.id),
    items.map((x) => x.id),
  );
  for (const [i, item] of answer.items.entries())
    assert.deepEqual(item.result, simulatedAnswer({ lastUserMessage: items[i]!.input, schema }));
  assert.deepEqual(faults, {});
});

test('not packed: undefined (plain schema, or a plain message)', () => {
  assert.equal(packedAnswer({ lastUserMessage: request.lastUserMessage, schema }, none, createRng(1), {}), undefined);
  assert.equal(
    packedAnswer({ lastUserMessage: 'Review: x', schema: packedSchema(schema) }, none, createRng(1), {}),
    undefined,
  );
});

test('faults at rate 1: one dropped, one pair swapped, one duplicated — ids always keep their own results', () => {
  const faults: Record<string, number> = {};
  const answer = packedAnswer(
    request,
    { faultPackDropRate: 1, faultPackSwapRate: 1, faultPackDuplicateRate: 1 },
    createRng(3),
    faults,
  ) as Answer;
  assert.deepEqual(faults, { pack_drop: 1, pack_swap: 1, pack_duplicate: 1 });
  assert.equal(answer.items.length, 6); // 6 - 1 dropped + 1 duplicate
  assert.equal(new Set(answer.items.map((x) => x.id)).size, 5);
  const positional = answer.items.filter((x, i) => x.id === items[i]?.id).length;
  assert.ok(positional < 6, 'order changed');
  for (const item of answer.items) {
    const input = items.find((x) => x.id === item.id)!.input;
    assert.deepEqual(item.result, simulatedAnswer({ lastUserMessage: input, schema }));
  }
});
