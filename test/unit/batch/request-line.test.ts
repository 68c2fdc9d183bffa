import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PipelineSchema } from '../../../src/config/pipeline-schema.ts';
import { createEnvelope } from '../../../src/core/envelope.ts';
import { createRequestRenderer, formatCustomId, parseCustomId } from '../../../src/batch/request-line.ts';
import { customIdOfLine } from '../../../src/batch/batch-outcomes.ts';

const FP = '0123456789abcdef';
const pipeline = PipelineSchema.parse({
  name: 't',
  model: { name: 'gpt-4o-mini', maxTokens: 50 },
  prompt: { system: 'Be brief.', user: 'Review: {text}' },
  output: { schema: { type: 'object', properties: { label: { type: 'string' } }, required: ['label'] } },
  pack: 2,
});
const envelope = (id: string, value: Record<string, unknown>) =>
  createEnvelope({ id, value, meta: { kind: 'memory', index: 0 } });

test('custom ids carry the fingerprint, the request number and the (shortened) first id; they parse back', () => {
  assert.equal(formatCustomId(FP, 12, ['r-1']), `${FP}:12:r-1`);
  assert.equal(formatCustomId(FP, 3, ['a', 'b', 'c']), `${FP}:3:a+2`);
  const long = formatCustomId(FP, 1, ['x'.repeat(100)]);
  assert.equal(long, `${FP}:1:${'x'.repeat(40)}…`);
  assert.deepEqual(parseCustomId(`${FP}:12:a:b:c`), { fingerprint: FP, seq: 12 });
  assert.equal(parseCustomId('request-1'), undefined, 'not one of ours');
});

test('a request line: custom_id, POST, the chat endpoint, and max_tokens × k for a pack', () => {
  const renderer = createRequestRenderer(pipeline, FP);
  const single = JSON.parse(renderer.render(1, [envelope('a', { text: 'good' })]).line);
  assert.equal(single.custom_id, `${FP}:1:a`);
  assert.equal(single.method, 'POST');
  assert.equal(single.url, '/v1/chat/completions');
  assert.equal(single.body.max_tokens, 50);
  assert.deepEqual(single.body.messages, [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Review: good' },
  ]);
  const pack = renderer.render(2, [envelope('a', { text: 'good' }), envelope('b', { text: 'bad' })]);
  const packed = JSON.parse(pack.line);
  assert.equal(packed.custom_id, `${FP}:2:a+1`);
  assert.equal(packed.body.max_tokens, 100);
  assert.match(
    packed.body.messages[1].content,
    /ITEMS \(JSON\):\n\[\{"id":"a","input":"Review: good"\},\{"id":"b","input":"Review: bad"\}\]$/,
  );
  assert.equal(
    pack.tokens,
    Math.ceil((packed.body.messages[0].content.length + packed.body.messages[1].content.length) / 4),
  );
});

test('a record missing a prompt field cannot be rendered', () => {
  const renderer = createRequestRenderer(pipeline, FP);
  assert.equal(renderer.canRender({ text: 'x' }), true);
  assert.equal(renderer.canRender({ other: 'x' }), false);
  assert.equal(renderer.canRender({ text: '' }), false);
});

test('the custom_id of a line is found without parsing the body, even when the body quotes one', () => {
  const line = JSON.stringify({
    custom_id: `${FP}:5:a"b`,
    method: 'POST',
    body: { messages: [{ content: '"custom_id":"fake"' }] },
  });
  assert.equal(customIdOfLine(line), `${FP}:5:a"b`);
  const resultLine = JSON.stringify({ id: 'batch_req_1', custom_id: `${FP}:6:x`, response: null, error: null });
  assert.equal(customIdOfLine(resultLine), `${FP}:6:x`);
});
