import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createScriptedPeer, type PeerHandler } from '../support/scripted-peer.ts';
import { ModelSchema } from '../../src/config/pipeline-schema.ts';
import { classifyError } from '../../src/llm/classify-error.ts';
import { createLangChainClient } from '../../src/llm/langchain-client.ts';
import { ModelCallError, type ModelRequest } from '../../src/llm/model-client.ts';

// The LangChain client against a scripted local OpenAI-compatible peer: every answer shape the retry layer and
// llm-map must handle (length, malformed JSON, 429 with headers, 500, resets, timeouts, aborts, tool calls).

let handler: PeerHandler = () => {};
const peer = createScriptedPeer((req, res, body) => handler(req, res, body));
const seen = peer.seen;
let baseUrl = '';

before(async () => {
  baseUrl = await peer.listen();
});
after(async () => {
  await peer.close();
});

const KEY = 'sk-test-0123456789abcdef';
const schema = {
  type: 'object',
  properties: { sentiment: { type: 'string' } },
  required: ['sentiment'],
  additionalProperties: false,
};

function client(overrides: Record<string, unknown> = {}) {
  return createLangChainClient({
    model: ModelSchema.parse({ name: 'gpt-4o-mini', maxTokens: 64, timeoutMs: 5000, ...overrides }),
    baseUrl,
    apiKey: KEY,
  });
}

function request(signal = new AbortController().signal): ModelRequest {
  return {
    recordIds: ['r1'],
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Review: great' },
    ],
    schema,
    schemaName: 'review',
    maxTokens: 64,
    promptTokenEstimate: 6,
    signal,
  };
}

function completion(message: Record<string, unknown>, finishReason = 'stop') {
  return JSON.stringify({
    id: 'c1',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4o-mini-2024-07-18',
    choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finishReason }],
    usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
  });
}

function answer(text: string, finishReason = 'stop', headers: Record<string, string> = {}): PeerHandler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', ...headers });
    res.end(completion({ content: text }, finishReason));
  };
}

async function callError(promise: Promise<unknown>): Promise<ModelCallError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ModelCallError, `expected ModelCallError, got ${String(error)}`);
    return error;
  }
  throw new Error('expected the call to fail');
}

test('json_schema answer: raw, parsed, usage, model, finish reason and rate-limit headers', async () => {
  handler = answer('{"sentiment":"positive"}', 'stop', {
    'x-ratelimit-remaining-requests': '499',
    'x-ratelimit-reset-requests': '120ms',
  });
  seen.length = 0;
  const response = await client().call(request());
  assert.equal(response.raw, '{"sentiment":"positive"}');
  assert.deepEqual(response.parsed, { sentiment: 'positive' });
  assert.deepEqual(response.usage, { inputTokens: 12, outputTokens: 7 });
  assert.equal(response.model, 'gpt-4o-mini-2024-07-18');
  assert.equal(response.finishReason, 'stop');
  assert.equal(response.headers['x-ratelimit-remaining-requests'], '499');
  assert.equal(response.headers['x-ratelimit-reset-requests'], '120ms');
  assert.ok(response.latencyMs >= 0);
  const sent = seen[0]!;
  assert.equal(sent.headers.authorization, `Bearer ${KEY}`);
  assert.equal(sent.headers['x-sluice-exchange'], undefined, 'the correlation tag never leaves the process');
  assert.equal(sent.body.max_tokens, 64);
  assert.equal(sent.body.temperature, 0);
  assert.deepEqual(sent.body.messages, [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Review: great' },
  ]);
  assert.deepEqual(sent.body.response_format, {
    type: 'json_schema',
    json_schema: { name: 'review', schema, strict: true },
  });
});

test('functionCalling: tools + forced tool choice, answer from the tool arguments', async () => {
  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      completion(
        {
          content: null,
          tool_calls: [
            { id: 't1', type: 'function', function: { name: 'review', arguments: '{"sentiment":"negative"}' } },
          ],
        },
        'tool_calls',
      ),
    );
  };
  seen.length = 0;
  const response = await client({ structuredOutput: 'functionCalling' }).call(request());
  assert.equal(response.raw, '{"sentiment":"negative"}');
  assert.deepEqual(response.parsed, { sentiment: 'negative' });
  assert.equal(response.finishReason, 'tool_calls');
  const sent = seen[0]!.body;
  assert.equal((sent.tools as { function: { name: string } }[])[0]?.function.name, 'review');
  assert.deepEqual(sent.tool_choice, { type: 'function', function: { name: 'review' } });
  assert.equal(sent.response_format, undefined);
});

test('functionCalling with malformed arguments: the raw arguments are kept, parsed absent', async () => {
  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      completion(
        {
          content: null,
          tool_calls: [{ id: 't1', type: 'function', function: { name: 'review', arguments: '{"sentiment": "neg' } }],
        },
        'length',
      ),
    );
  };
  const response = await client({ structuredOutput: 'functionCalling' }).call(request());
  assert.equal(response.raw, '{"sentiment": "neg');
  assert.equal(response.parsed, undefined);
  assert.equal(response.finishReason, 'length');
});

test('finish_reason length: the truncated raw answer is kept, parsed absent', async () => {
  handler = answer('{"sentiment":"pos', 'length');
  const response = await client().call(request());
  assert.equal(response.finishReason, 'length');
  assert.equal(response.raw, '{"sentiment":"pos');
  assert.equal(response.parsed, undefined);
  assert.deepEqual(response.usage, { inputTokens: 12, outputTokens: 7 });
});

test('malformed JSON with finish_reason stop: raw kept, parsed absent (no exception)', async () => {
  handler = answer('Sure! {"sentiment": positive}');
  const response = await client().call(request());
  assert.equal(response.finishReason, 'stop');
  assert.equal(response.raw, 'Sure! {"sentiment": positive}');
  assert.equal(response.parsed, undefined);
});

test('429 with headers: status, provider code and type, headers, classified with the hint', async () => {
  handler = (_req, res) => {
    res.writeHead(429, {
      'content-type': 'application/json',
      'retry-after-ms': '250',
      'x-ratelimit-remaining-requests': '0',
    });
    res.end(
      JSON.stringify({
        error: {
          message:
            'Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 500. Please try again in 240ms.',
          type: 'requests',
          param: null,
          code: 'rate_limit_exceeded',
        },
      }),
    );
  };
  const error = await callError(client().call(request()));
  assert.equal(error.status, 429);
  assert.equal(error.providerCode, 'rate_limit_exceeded');
  assert.equal(error.providerType, 'requests');
  assert.equal(error.headers['retry-after-ms'], '250');
  assert.equal(error.headers['x-ratelimit-remaining-requests'], '0');
  assert.deepEqual(classifyError(error), {
    reason: 'rate_limited',
    retry: true,
    congestion: true,
    stopJob: false,
    retryAfterMs: 250,
  });
});

test('TGI overloaded body survives the SDK (error_type kept)', async () => {
  handler = (_req, res) => {
    res.writeHead(429, { 'content-type': 'application/json' });
    res.end('{"error":"Model is overloaded","error_type":"overloaded"}');
  };
  const error = await callError(client().call(request()));
  assert.equal(error.providerType, 'overloaded');
  assert.equal(classifyError(error).reason, 'overloaded');
});

test('500: server_error, retried without congestion', async () => {
  handler = (_req, res) => {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(
      '{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}',
    );
  };
  const error = await callError(client().call(request()));
  assert.equal(error.status, 500);
  assert.match(error.message, /^500 The server had an error/);
  assert.deepEqual(classifyError(error), { reason: 'server_error', retry: true, congestion: false, stopJob: false });
});

test('connection reset mid-response and before the response: transport reset', async () => {
  handler = (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
    res.write('{"id":"c1","choices":[');
    setImmediate(() => req.socket.destroy());
  };
  const midBody = await callError(client().call(request()));
  assert.equal(midBody.transport, 'reset', midBody.message);
  assert.equal(classifyError(midBody).reason, 'connection_reset');

  handler = (req) => req.socket.destroy();
  const beforeHeaders = await callError(client().call(request()));
  assert.equal(beforeHeaders.transport, 'reset', beforeHeaders.message);
});

test('per-attempt timeout: transport timeout (congestion)', async () => {
  handler = () => {}; // never answers
  const error = await callError(client({ timeoutMs: 150 }).call(request()));
  assert.equal(error.transport, 'timeout', error.message);
  assert.deepEqual(classifyError(error), { reason: 'timeout', retry: true, congestion: true, stopJob: false });
});

test('the job signal aborts the call: transport aborted, not retried', async () => {
  handler = () => {};
  const controller = new AbortController();
  const pending = client().call(request(controller.signal));
  setTimeout(() => controller.abort(), 30);
  const error = await callError(pending);
  assert.equal(error.transport, 'aborted', error.message);
  assert.equal(classifyError(error).retry, false);
});

test('the API key never appears in an error message', async () => {
  handler = (req, res) => {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        error: {
          message: `Incorrect API key provided: ${req.headers.authorization}`,
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      }),
    );
  };
  const error = await callError(client().call(request()));
  assert.equal(error.status, 401);
  assert.ok(!error.message.includes(KEY), error.message);
  assert.match(error.message, /\[redacted\]/);
});
