import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  completionBody,
  errorBody,
  goDuration,
  rateLimitMessage,
  sseEvents,
  tryAgainIn,
  usageOf,
  type CompletionParts,
} from '../../../src/sim/openai-shapes.ts';
import { parseChatRequest } from '../../../src/sim/chat-request.ts';

test('Go-style durations as in x-ratelimit-reset-*', () => {
  assert.equal(goDuration(0), '0s');
  assert.equal(goDuration(0.012), '12ms');
  assert.equal(goDuration(0.0001), '1ms');
  assert.equal(goDuration(1.5), '1.5s');
  assert.equal(goDuration(9.8164), '9.816s');
  assert.equal(goDuration(360), '6m0s');
  assert.equal(goDuration(3723.5), '1h2m3.5s');
  assert.equal(tryAgainIn(0.12), '120ms');
  assert.equal(tryAgainIn(9.8164), '9.816s');
});

test('rate-limit message text of docs/profiles.md', () => {
  assert.equal(
    rateLimitMessage('gpt-4o-mini', 'org-x', 'tokens', 10000, 8554, 3082, 9.816),
    'Rate limit reached for gpt-4o-mini in organization org-x on tokens per min (TPM): Limit 10000, Used 8554, Requested 3082. ' +
      'Please try again in 9.816s. Visit https://platform.openai.com/account/rate-limits to learn more.',
  );
  assert.deepEqual(JSON.parse(errorBody('m', 'tokens', null, 'rate_limit_exceeded')), {
    error: { message: 'm', type: 'tokens', param: null, code: 'rate_limit_exceeded' },
  });
});

const parts: CompletionParts = {
  id: 'chatcmpl-1',
  created: 1,
  model: 'gpt-4o-mini',
  content: '{"a":1}',
  toolCall: undefined,
  finishReason: 'stop',
  usage: usageOf(10, 3),
};

test('chat.completion body shape', () => {
  const body = JSON.parse(completionBody(parts));
  assert.equal(body.object, 'chat.completion');
  assert.deepEqual(body.choices, [
    {
      index: 0,
      message: { role: 'assistant', content: '{"a":1}', refusal: null },
      logprobs: null,
      finish_reason: 'stop',
    },
  ]);
  assert.deepEqual(body.usage, { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 });
  const tool = JSON.parse(
    completionBody({
      ...parts,
      content: null,
      finishReason: 'tool_calls',
      toolCall: { id: 'call_1', name: 'extract', arguments: '{"a":1}' },
    }),
  );
  assert.deepEqual(tool.choices[0].message.tool_calls, [
    { id: 'call_1', type: 'function', function: { name: 'extract', arguments: '{"a":1}' } },
  ]);
  assert.equal(tool.choices[0].message.content, null);
});

test('SSE: role chunk, content pieces, finish chunk, usage chunk with empty choices, [DONE]', () => {
  const { first, rest } = sseEvents({ ...parts, content: 'x'.repeat(50) }, true, 24);
  const events = (first + rest)
    .split('\n\n')
    .filter(Boolean)
    .map((e) => e.replace(/^data: /, ''));
  assert.equal(events.at(-1), '[DONE]');
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
  assert.equal(chunks.length, 1 + 3 + 1 + 1);
  assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '', refusal: null });
  assert.equal(
    chunks
      .slice(1, 4)
      .map((c) => c.choices[0].delta.content)
      .join(''),
    'x'.repeat(50),
  );
  assert.equal(chunks[4].choices[0].finish_reason, 'stop');
  assert.deepEqual(chunks[5].choices, []);
  assert.deepEqual(chunks[5].usage, { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 });
  assert.equal(sseEvents(parts, false).rest.includes('"usage"'), false);
});

test('request parsing: modes, max tokens, prompt estimate', () => {
  const base = {
    model: 'm',
    messages: [
      { role: 'system', content: 'abcd' },
      { role: 'user', content: [{ type: 'text', text: 'efgh json' }] },
    ],
  };
  const text = parseChatRequest(base);
  assert.ok('request' in text);
  assert.equal(text.request.promptTokens, 4); // 13 chars / 4, rounded up
  assert.equal(text.request.lastUserMessage, 'efgh json');
  assert.equal(text.request.mode, 'text');
  const js = parseChatRequest({
    ...base,
    max_completion_tokens: 7,
    max_tokens: 9,
    response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' }, strict: true } },
  });
  assert.ok('request' in js && js.request.mode === 'json_schema' && js.request.maxTokens === 7);
  const tool = parseChatRequest({
    ...base,
    tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
    tool_choice: { type: 'function', function: { name: 'f' } },
  });
  assert.ok('request' in tool && tool.request.mode === 'tool' && tool.request.toolName === 'f');
  const jo = parseChatRequest({ ...base, response_format: { type: 'json_object' } });
  assert.ok('request' in jo && jo.request.mode === 'json_object');
});

test('bad requests get OpenAI-shaped 400 details', () => {
  const cases: Array<[unknown, string | null, string | null]> = [
    [{ messages: [{ role: 'user', content: 'x' }] }, 'model', null],
    [{ model: 'm' }, 'messages', 'missing_required_parameter'],
    [{ model: 'm', messages: [] }, 'messages', 'empty_array'],
    [{ model: 'm', messages: [{ content: 'x' }] }, 'messages[0].role', 'missing_required_parameter'],
    [
      { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 0 },
      'max_tokens',
      'integer_below_min_value',
    ],
    [
      { model: 'm', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_object' } },
      'messages',
      null,
    ],
    [
      { model: 'm', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_schema' } },
      'response_format.json_schema',
      'missing_required_parameter',
    ],
    [
      {
        model: 'm',
        messages: [{ role: 'user', content: 'x' }],
        tools: [{ type: 'function', function: { name: 'f' } }],
        tool_choice: { type: 'function', function: { name: 'g' } },
      },
      'tool_choice',
      null,
    ],
  ];
  for (const [body, param, code] of cases) {
    const r = parseChatRequest(body);
    assert.ok('error' in r, JSON.stringify(body));
    assert.equal(r.error.param, param, JSON.stringify(body));
    assert.equal(r.error.code, code, JSON.stringify(body));
  }
});
