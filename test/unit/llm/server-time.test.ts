import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerFromBody, serverMsOf } from '../../../src/llm/answer.ts';

/** A chat completion as llama-server (llama.cpp, built here from llama-cpp-python 0.3.36) sent it, trimmed. */
const LLAMA_ANSWER = {
  choices: [{ finish_reason: 'stop', index: 0, message: { role: 'assistant', content: '{"sentiment":"positive"}' } }],
  model: 'SmolLM2-135M-Instruct',
  object: 'chat.completion',
  usage: { completion_tokens: 8, prompt_tokens: 36, total_tokens: 44 },
  timings: {
    cache_n: 0,
    prompt_n: 36,
    prompt_ms: 494.877,
    prompt_per_token_ms: 13.746583333333334,
    predicted_n: 8,
    predicted_ms: 202.728,
    predicted_per_token_ms: 28.961142857142857,
  },
};

test("the server's own time of a call: llama.cpp's timings (prompt + generation); nothing from servers that do not say", () => {
  assert.equal(serverMsOf(LLAMA_ANSWER), 494.877 + 202.728);
  assert.equal(serverMsOf({ ...LLAMA_ANSWER, timings: undefined }), undefined);
  assert.equal(serverMsOf({ timings: { prompt_ms: '12', predicted_ms: 3 } }), undefined);
  assert.equal(serverMsOf({ timings: { prompt_ms: Number.NaN, predicted_ms: 3 } }), undefined);
  assert.equal(serverMsOf(null), undefined);
  assert.equal(serverMsOf('text'), undefined);
});

test('answerFromBody carries serverMs beside the answer when the body has timings', () => {
  const withTimings = answerFromBody(JSON.stringify(LLAMA_ANSWER));
  assert.deepEqual(withTimings.parsed, { sentiment: 'positive' });
  assert.equal(withTimings.serverMs, 494.877 + 202.728);
  const without = answerFromBody(JSON.stringify({ ...LLAMA_ANSWER, timings: undefined }));
  assert.equal('serverMs' in without, false);
});
