import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../../src/core/errors.ts';
import { createPromptRenderer } from '../../../src/llm/prompt.ts';

test('renders system and user templates over record fields, with literal braces', () => {
  const renderer = createPromptRenderer({
    system: 'Answer as JSON {{"sentiment": ...}}',
    user: 'Review ({lang}): {text}',
  });
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
  const result = createPromptRenderer({ system: '', user: '{rating}|{tags}|{meta}' }).render({
    rating: 4,
    tags: ['a', 'b'],
    meta: { x: true },
  });
  assert.ok(result.ok);
  assert.equal(result.messages[0]?.content, '4|["a","b"]|{"x":true}');
});

test('rejects malformed templates with a ConfigError naming the path', () => {
  assert.throws(
    () => createPromptRenderer({ system: '', user: 'Review: {text' }),
    (e: unknown) => e instanceof ConfigError && e.path === 'prompt.user',
  );
  assert.throws(
    () => createPromptRenderer({ system: 'oops }', user: '{text}' }),
    (e: unknown) => e instanceof ConfigError && e.path === 'prompt.system',
  );
});

test('parses templates as LangChain does: same variables, same literal text, same failures', async () => {
  const { PromptTemplate } = await import('@langchain/core/prompts');
  const templates = [
    'Review: {text}',
    '{{"a": {x}}} and {y}{x}',
    'no fields',
    '{a}{b}',
    '中文 {text} 评论',
    'x {{ y }} z',
    '{text',
    'oops }',
    '{}',
    '{a b}',
  ];
  for (const user of templates) {
    let ours: { variables: string[]; rendered?: string } | Error;
    let theirs: { variables: string[]; rendered?: string } | Error;
    try {
      const renderer = createPromptRenderer({ system: '', user });
      const record = Object.fromEntries(renderer.inputVariables.map((name) => [name, `<${name}>`]));
      const result = renderer.render(record);
      ours = { variables: [...renderer.inputVariables], rendered: result.ok ? result.messages[0]?.content : undefined };
    } catch (error) {
      ours = error as Error;
    }
    try {
      const template = PromptTemplate.fromTemplate(user);
      const record = Object.fromEntries(template.inputVariables.map((name) => [name, `<${name}>`]));
      theirs = { variables: [...template.inputVariables], rendered: await template.format(record) };
    } catch (error) {
      theirs = error as Error;
    }
    if (theirs instanceof Error) {
      // LangChain's parse errors become ConfigErrors naming the path; names it accepts and we refuse ({}, {a b}) are
      // refused on purpose (a placeholder names one record field).
      assert.ok(ours instanceof ConfigError, `${user}: LangChain refuses it (${theirs.message}), so must we`);
      assert.match(ours.message, new RegExp(theirs.message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), user);
    } else if (ours instanceof Error) {
      assert.ok(ours instanceof ConfigError && /invalid placeholder/.test(ours.message), `${user}: ${ours.message}`);
    } else {
      assert.deepEqual(ours, theirs, user);
    }
  }
});
