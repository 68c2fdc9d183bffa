import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDryRunEstimator } from '../../../src/budget/dry-run-estimate.ts';
import type { TokenCounter } from '../../../src/budget/token-count.ts';
import { PipelineSchema } from '../../../src/config/pipeline-schema.ts';
import { packedUserMessage } from '../../../src/pack/packed-format.ts';

// A counter that counts characters, so expected numbers are easy to derive by hand.
const counter: TokenCounter = {
  encoding: 'o200k_base',
  count: (text) => text.length,
  countMessages: (messages) => 3 + messages.reduce((n, m) => n + 3 + m.content.length, 0),
};
const config = (pack: number) =>
  PipelineSchema.parse({
    name: 't',
    model: { name: 'gpt-4o-mini', maxTokens: 100 },
    prompt: { system: 'SYS', user: 'R: {text}' },
    output: { schema: { type: 'object', properties: {} } },
    pack,
  });

test('pack 1: one request per renderable record; missing fields cost nothing', () => {
  const e = createDryRunEstimator(config(1), counter, { inputPer1M: 1, outputPer1M: 2 }, { rpm: 60, tpm: 1_000_000 });
  e.add({ text: 'abc' }, 'a');
  e.add({ text: '' }, 'b');
  e.add({ text: 'defgh' }, 'c');
  const r = e.finish();
  assert.equal(r.records, 3);
  assert.equal(r.unrenderable, 1);
  assert.equal(r.requests, 2);
  // (3 + 3+3 + 3+6) + (3 + 3+3 + 3+8)
  assert.equal(r.inputTokens, 18 + 20);
  assert.equal(r.outputTokensMax, 200);
  assert.equal(r.costUsdMax, (38 * 1 + 200 * 2) / 1e6);
  assert.equal(r.durationSecondsMin, 2, '2 requests at 60 RPM');
});

test('pack 2: records grouped exactly as the packed request is built; the remainder goes alone', () => {
  const e = createDryRunEstimator(config(2), counter, undefined, { rpm: 1000, tpm: 100 });
  for (const [i, text] of ['a', 'bb', 'ccc'].entries()) e.add({ text }, `id${i}`);
  const r = e.finish();
  assert.equal(r.requests, 2);
  const packed = packedUserMessage([
    { id: 'id0', input: 'R: a' },
    { id: 'id1', input: 'R: bb' },
  ]);
  assert.equal(r.inputTokens, 3 + 3 + 3 + 3 + packed.length + (3 + 3 + 3 + 3 + 'R: ccc'.length));
  assert.equal(r.outputTokensMax, 300);
  assert.equal(r.costUsdMax, null, 'no price given');
  const charged = r.inputTokensCharsOver4 + 300;
  assert.equal(r.durationSecondsMin, (60 * charged) / 100);
});
