import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { z } from 'zod';
import {
  currentReference,
  END_MARKER,
  referenceRows,
  renderReference,
  START_MARKER,
  withReference,
} from '../../../scripts/pipeline-reference.ts';

const README = new URL('../../../README.md', import.meta.url);

test("README's pipeline reference is the one scripts/pipeline-reference.ts writes from the schema", () => {
  const readme = readFileSync(README, 'utf8');
  assert.equal(
    currentReference(readme),
    renderReference(),
    "README.md's pipeline reference differs from src/config/pipeline-schema.ts: run `npm run docs:reference`",
  );
});

test('every field of the pipeline schema has its row, with the default the schema gives or states', () => {
  const rows = new Map(referenceRows().map((r) => [r.field, r]));
  const expected: Record<string, string> = {
    '`name`': 'required',
    '`model.timeoutMs`': '60000',
    '`model.baseUrl`': '`OPENAI_BASE_URL`, else OpenAI',
    '`model.client`': '`langchain`',
    '`model.prices.batch`': 'half of `model.prices` for OpenAI models, else the same',
    '`input.keep`': '`[]`',
    '`prompt.system`': "`''`",
    '`concurrency`': '`auto`',
    '`ordered`': 'true',
    '`mode`': '`online`',
    '`batch.maxSubmissions`': '3',
    '`batch.deadline`': '—',
  };
  for (const [field, defaultCell] of Object.entries(expected))
    assert.equal(rows.get(field)?.default, defaultCell, field);
  assert.equal(rows.size, 37, [...rows.keys()].join(' '));
  assert.ok(!rows.has('`model.prices.inputPer1M`'), 'covered by the model.prices row');
});

test('a field without a description and no described parent is an error naming it', () => {
  const schema = z.object({ a: z.number().describe('documented'), nested: z.object({ b: z.string() }) });
  assert.throws(() => referenceRows(schema), /nested\.b has no description/);
  const covered = z.object({ nested: z.object({ b: z.string() }).describe('the nested object, b included') });
  assert.deepEqual(referenceRows(covered), [
    { field: '`nested`', default: 'required', meaning: 'the nested object, b included' },
  ]);
});

test("cells escape the table's pipe; the table goes between the markers and nowhere else", () => {
  assert.equal(
    renderReference([{ field: '`x`', default: '—', meaning: 'a | b' }]).split('\n')[2],
    '| `x` | — | a \\| b |',
  );
  const readme = `# t\n\n${START_MARKER}\nold\n${END_MARKER}\n\nafter\n`;
  assert.equal(withReference(readme, 'new'), `# t\n\n${START_MARKER}\nnew\n${END_MARKER}\n\nafter\n`);
  assert.throws(() => withReference('# no markers\n', 'new'), /needs <!-- pipeline-reference:start -->/);
});
