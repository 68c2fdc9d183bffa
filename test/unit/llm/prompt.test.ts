import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../../src/core/errors.ts';
import { createPromptRenderer } from '../../../src/llm/prompt.ts';

test('renders system and user templates over record fields, with literal braces', () => {
  const renderer = createPromptRenderer({ system: 'Answer as JSON {{"sentiment": ...}}', user: 'Review ({lang}): {text}' });
  assert.deepEqual(renderer.inputVariables, ['lang', 'text']);
  const result = renderer.render({ text: 'Great battery', lang: 'en', other: 1 });
  assert.equal(result.ok, true);
  if (!result.ok) return;
  assert.deepEqual(result.messages, [
    { role: 'system', content: 'Answer as JSON {"sentiment": ...}' },
    { role: 'user', content: 'Review (en): Great battery' },
  ]);
  const chars = 'Answer as JSON {"sentiment": ...}'.length + 'Review (en): Great battery'.length;
  assert.equal(result.promptTokenEstimate, Math.ceil(chars / 4));
});

test('omits an empty system message', () => {
  const result = createPromptRenderer({ system: '', user: '{text}' }).render({ text: 'x' });
  assert.ok(result.ok);
  assert.deepEqual(result.messages, [{ role: 'user', content: 'x' }]);
  assert.equal(result.promptTokenEstimate, 1);
});

test('reports missing, null and empty fields', () => {
  const renderer = createPromptRenderer({ system: 'About {product}', user: '{text} {rating}' });
  assert.deepEqual(renderer.render({ text: '', product: null }), { ok: false, missing: ['product', 'text', 'rating'] });
  assert.deepEqual(renderer.render({ text: 'ok', product: 'p', rating: 0 }).ok, true);
});

test('JSON-stringifies non-string values', () => {
  const result = createPromptRenderer({ system: '', user: '{rating}|{tags}|{meta}' }).render({ rating: 4, tags: ['a', 'b'], meta: { x: true } });
  assert.ok(result.ok);
  assert.equal(result.messages[0]?.content, '4|["a","b"]|{"x":true}');
});

test('rejects malformed templates with a ConfigError naming the path', () => {
  assert.throws(() => createPromptRenderer({ system: '', user: 'Review: {text' }), (e: unknown) => e instanceof ConfigError && e.path === 'prompt.user');
  assert.throws(() => createPromptRenderer({ system: 'oops }', user: '{text}' }), (e: unknown) => e instanceof ConfigError && e.path === 'prompt.system');
});
