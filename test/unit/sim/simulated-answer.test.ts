import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { simulatedAnswer, simulatedText, isReviewSchema } from '../../../src/sim/simulated-answer.ts';
import { parseDirectives, stripDirectives } from '../../../src/sim/directives.ts';
import { renderContent } from '../../../src/sim/content-faults.ts';

const review = z.object({
  sentiment: z.enum(['positive', 'negative', 'neutral']),
  features: z.array(z.string()),
  suggestion: z.string(),
});
const reviewSchema = z.toJSONSchema(review) as Record<string, unknown>;

test('review schema is recognised by its property names', () => {
  assert.equal(isReviewSchema(reviewSchema), true);
  assert.equal(isReviewSchema({ type: 'object', properties: { sentiment: {}, features: {} } }), false);
  assert.equal(isReviewSchema(undefined), false);
});

test('Chinese and English reviews are analysed from the lexicon', () => {
  assert.deepEqual(simulatedAnswer({ lastUserMessage: '质量很好，面料舒服，推荐！', schema: reviewSchema }), {
    sentiment: 'positive',
    features: ['quality', 'fabric'],
    suggestion: '',
  });
  assert.deepEqual(simulatedAnswer({ lastUserMessage: '尺码偏小，物流太慢了，失望', schema: reviewSchema }), {
    sentiment: 'negative',
    features: ['delivery', 'size'],
    suggestion: '建议改进物流、尺码。',
  });
  assert.deepEqual(
    simulatedAnswer({ lastUserMessage: 'Terrible quality and the price is not worth it.', schema: reviewSchema }),
    { sentiment: 'negative', features: ['quality', 'price'], suggestion: 'Improve the quality, price.' },
  );
  assert.deepEqual(simulatedAnswer({ lastUserMessage: 'It arrived on Tuesday.', schema: reviewSchema }), {
    sentiment: 'neutral',
    features: ['delivery'],
    suggestion: '',
  });
});

test('negations are not counted as the positive word they contain', () => {
  const a = simulatedAnswer({ lastUserMessage: '不好，不推荐', schema: reviewSchema }) as { sentiment: string };
  assert.equal(a.sentiment, 'negative');
  const b = simulatedAnswer({ lastUserMessage: 'not good at all', schema: reviewSchema }) as { sentiment: string };
  assert.equal(b.sentiment, 'negative');
});

test('answers are deterministic and differ between inputs', () => {
  const schema = z.toJSONSchema(
    z.object({ id: z.string(), score: z.number().min(0).max(1), tags: z.array(z.string()) }),
  ) as Record<string, unknown>;
  const a1 = simulatedAnswer({ lastUserMessage: 'record one', schema });
  const a2 = simulatedAnswer({ lastUserMessage: 'record one', schema });
  const b = simulatedAnswer({ lastUserMessage: 'record two', schema });
  assert.deepEqual(a1, a2);
  assert.notDeepEqual(a1, b);
  assert.equal(simulatedText('hello'), simulatedText('hello'));
  assert.notEqual(simulatedText('hello'), simulatedText('hello!'));
  assert.equal(typeof simulatedAnswer({ lastUserMessage: 'x' }), 'string');
});

test('any other schema gets a schema-valid instance (nested objects, enums, arrays, bounds, refs, nullable)', () => {
  const Item = z.object({ name: z.string().min(3).max(12), qty: z.number().int().min(1).max(9) });
  const complex = z.object({
    kind: z.enum(['a', 'b', 'c']),
    flag: z.boolean(),
    when: z.iso.datetime(),
    email: z.email(),
    items: z.array(Item).min(2).max(4),
    nested: z.object({ deep: z.object({ value: z.number().gt(10).lt(20) }) }),
    maybe: z.string().nullable(),
    literal: z.literal('fixed'),
    union: z.union([z.number(), z.string()]),
    tuple: z.tuple([z.string(), z.number()]),
  });
  const schema = z.toJSONSchema(complex) as Record<string, unknown>;
  for (let i = 0; i < 200; i++) {
    const value = simulatedAnswer({ lastUserMessage: `input ${i}`, schema });
    const parsed = complex.safeParse(value);
    assert.ok(parsed.success, `input ${i}: ${JSON.stringify(value)} ${parsed.error?.message}`);
  }
  const recursive = {
    type: 'object',
    properties: { node: { $ref: '#/$defs/Node' } },
    required: ['node'],
    $defs: { Node: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] } },
  };
  const v = simulatedAnswer({ lastUserMessage: 'r', schema: recursive }) as { node: { id: number } };
  assert.equal(Number.isInteger(v.node.id), true);
});

test('directives are parsed and never change the content', () => {
  const raw = 'Great quality [[sim:latency_ms=40000]] [[sim:status=500]] [[sim:fault=truncate]] [[sim:reset=1]]';
  assert.deepEqual(parseDirectives(raw), { latencyMs: 40000, status: 500, fault: 'truncate', reset: true });
  assert.equal(stripDirectives(raw), 'Great quality');
  assert.deepEqual(
    simulatedAnswer({ lastUserMessage: raw, schema: reviewSchema }),
    simulatedAnswer({ lastUserMessage: 'Great quality', schema: reviewSchema }),
  );
  assert.equal(simulatedText(raw), simulatedText('Great quality'));
  assert.deepEqual(parseDirectives('[[sim:fault=nope]] [[sim:status=abc]]'), {});
});

test('content faults: malformed fails JSON.parse, schema_invalid fails the schema, truncate cuts with finish length', () => {
  const answer = simulatedAnswer({ lastUserMessage: 'good price', schema: reviewSchema });
  assert.deepEqual(JSON.parse(renderContent(answer, undefined).text), answer);
  assert.throws(() => JSON.parse(renderContent(answer, 'malformed').text));
  const invalid = JSON.parse(renderContent(answer, 'schema_invalid').text) as unknown;
  assert.equal(review.safeParse(invalid).success, false);
  const cut = renderContent(answer, 'truncate');
  assert.equal(cut.finishReason, 'length');
  assert.throws(() => JSON.parse(cut.text));
});
