import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createScriptedPeer, type PeerHandler } from '../support/scripted-peer.ts';
import { ModelSchema } from '../../src/config/pipeline-schema.ts';
import { classifyError } from '../../src/llm/classify-error.ts';
import { ModelCallError, type ModelRequest } from '../../src/llm/model-client.ts';
import { createUndiciClient, type UndiciModelClient } from '../../src/llm/undici-client.ts';

// The lean undici client against a scripted local OpenAI-compatible peer: the body it sends, answers, error
// bodies with rate headers, malformed JSON kept raw, timeouts, aborts — the same contract as langchain-client.

let handler: PeerHandler = () => {};
const peer = createScriptedPeer((req, res, body) => handler(req, res, body));
const seen = peer.seen;
let baseUrl = '';
const clients: UndiciModelClient[] = [];

before(async () => {
  baseUrl = await peer.listen();
});
after(async () => {
  for (const c of clients) await c.close();
  await peer.close();
});

const KEY = 'sk-test-0123456789abcdef';
const schema = {
  type: 'object',
  properties: { sentiment: { type: 'string' } },
  required: ['sentiment'],
  additionalProperties: false,
};

function client(overrides: Record<string, unknown> = {}): UndiciModelClient {
  const c = createUndiciClient({
    model: ModelSchema.parse({ name: 'gpt-4o-mini', maxTokens: 64, timeoutMs: 5000, client: 'undici', ...overrides }),
    baseUrl,
    apiKey: KEY,
  });
  clients.push(c);
  return c;
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

function reply(status: number, body: string, headers: Record<string, string> = {}): PeerHandler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };
}

function completion(content: string, finishReason = 'stop'): string {
  return JSON.stringify({
    id: 'c1',
    object: 'chat.completion',
    model: 'gpt-4o-mini-2024-07-18',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason }],
    usage: { prompt_tokens: 12, completion_tokens: 7 },
  });
}

test('sends the chat-completions body with strict json_schema and returns the parsed answer, usage and headers', async () => {
  seen.length = 0;
  handler = reply(200, completion('{"sentiment":"positive"}'), { 'x-ratelimit-remaining-requests': '499' });
  const response = await client().call(request());
  assert.deepEqual(response.parsed, { sentiment: 'positive' });
  assert.equal(response.raw, '{"sentiment":"positive"}');
  assert.deepEqual(response.usage, { inputTokens: 12, outputTokens: 7 });
  assert.equal(response.model, 'gpt-4o-mini-2024-07-18');
  assert.equal(response.finishReason, 'stop');
  assert.equal(response.headers['x-ratelimit-remaining-requests'], '499');
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.url, '/v1/chat/completions');
  assert.equal(seen[0]!.headers.authorization, `Bearer ${KEY}`);
  assert.equal(seen[0]!.body.max_tokens, 64);
  assert.deepEqual(seen[0]!.body.response_format, {
    type: 'json_schema',
    json_schema: { name: 'review', schema, strict: true },
  });
});

test('malformed JSON and a cut-off answer keep the raw text with parsed absent', async () => {
  handler = reply(200, completion('{"sentiment": "pos', 'length'));
  const response = await client().call(request());
  assert.equal(response.raw, '{"sentiment": "pos');
  assert.equal(response.parsed, undefined);
  assert.equal(response.finishReason, 'length');
});

test('a 429 becomes a ModelCallError with provider code, type and headers, classified as a rate limit', async () => {
  handler = reply(
    429,
    JSON.stringify({
      error: { message: `Rate limit reached. Key ${KEY}`, type: 'requests', code: 'rate_limit_exceeded' },
    }),
    { 'retry-after-ms': '250' },
  );
  const error = await client()
    .call(request())
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  assert.ok(error instanceof ModelCallError);
  assert.equal(error.status, 429);
  assert.equal(error.providerCode, 'rate_limit_exceeded');
  assert.equal(error.providerType, 'requests');
  assert.equal(error.headers['retry-after-ms'], '250');
  assert.ok(!error.message.includes(KEY), 'API key redacted');
  const classified = classifyError(error);
  assert.equal(classified.retry, true);
  assert.equal(classified.congestion, true);
  assert.equal(classified.stopJob, false);
  assert.equal(classified.retryAfterMs, 250);
});

test('a peer that never answers times out (transport timeout); an aborted request reports aborted', async () => {
  handler = () => undefined; // hold the request
  const timedOut = await client({ timeoutMs: 100 })
    .call(request())
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  assert.ok(timedOut instanceof ModelCallError);
  assert.equal(timedOut.transport, 'timeout');
  const controller = new AbortController();
  const pending = client()
    .call(request(controller.signal))
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  setImmediate(() => controller.abort(new Error('stop')));
  const aborted = await pending;
  assert.ok(aborted instanceof ModelCallError);
  assert.equal(aborted.transport, 'aborted');
  peer.dropConnections();
});
