import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodingForModel, loadTokenCounter } from '../../../src/budget/token-count.ts';

test('o200k_base for the gpt-4o family and successors, cl100k_base otherwise', () => {
  for (const m of ['gpt-4o', 'gpt-4o-mini-2024-07-18', 'gpt-4.1-nano', 'gpt-5', 'o1', 'o3-mini', 'o4-mini'])
    assert.equal(encodingForModel(m), 'o200k_base', m);
  for (const m of ['gpt-4', 'gpt-4-turbo', 'gpt-3.5-turbo', 'qwen2.5-7b', 'omni-x'])
    assert.equal(encodingForModel(m), 'cl100k_base', m);
});

test('real token counts, special-token text counted as text, chat framing added', async () => {
  const o200k = await loadTokenCounter('gpt-4o-mini');
  const cl100k = await loadTokenCounter('gpt-4');
  assert.equal(o200k.count('hello world'), 2);
  assert.equal(cl100k.count('hello world'), 2);
  assert.ok(o200k.count('<|endoftext|>') > 1, 'not treated as the special token');
  assert.equal(
    o200k.countMessages([
      { role: 'system', content: 'hello world' },
      { role: 'user', content: 'hello world' },
    ]),
    3 + (3 + 2) * 2,
  );
});
