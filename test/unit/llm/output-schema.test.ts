import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileOutputSchema } from '../../../src/llm/output-schema.ts';

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

test('accepts a valid answer and returns it', () => {
  const compiled = compileOutputSchema(schema);
  const value = { sentiment: 'positive', features: ['battery'], suggestion: '' };
  assert.deepEqual(compiled.validate(value), { ok: true, value });
  assert.equal(compiled.jsonSchema, schema);
});

test('lists every failing path in a short message', () => {
  const result = compileOutputSchema(schema).validate({ sentiment: 'meh', features: ['a', 3], extra: 1 });
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.match(result.error, /^sentiment: Invalid option/);
  assert.match(result.error, /features\[1\]: Invalid input: expected string, received number/);
  assert.match(result.error, /suggestion: /);
  assert.match(result.error, /\(root\): Unrecognized key: "extra"/);
});

test('rejects a non-object answer at the root', () => {
  const result = compileOutputSchema(schema).validate('just text');
  assert.equal(result.ok, false);
  if (!result.ok) assert.match(result.error, /^\(root\): Invalid input: expected object/);
});

test('caps the number of listed issues', () => {
  const wide = {
    type: 'object',
    properties: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`f${i}`, { type: 'number' }])),
    required: Array.from({ length: 8 }, (_, i) => `f${i}`),
  };
  const result = compileOutputSchema(wide).validate({});
  assert.equal(result.ok, false);
  if (!result.ok) {
    assert.equal(result.error.split('; ').length, 6);
    assert.match(result.error, /\(3 more\)$/);
  }
});
