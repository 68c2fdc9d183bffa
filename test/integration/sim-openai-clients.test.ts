/**
 * The simulator answers what the official `openai` client and LangChain's ChatOpenAI (maxRetries 0,
 * withStructuredOutput in all three methods) send, and both parse its answers.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatOpenAI } from '@langchain/openai';
import OpenAI from 'openai';
import { z } from 'zod';
import { simulatedAnswer, startSimulator, type Simulator } from '../../src/sim/index.ts';

const review = z.object({
  sentiment: z.enum(['positive', 'negative', 'neutral']),
  features: z.array(z.string()),
  suggestion: z.string(),
});
const reviewJsonSchema = z.toJSONSchema(review) as Record<string, unknown>;
const REVIEWS = [
  '质量很好，面料舒服，推荐！',
  '尺码偏小，物流太慢了，失望 [[sim:latency_ms=5]]',
  'Terrible quality, not worth the price.',
  'Arrived on time.',
];

let sim: Simulator;
before(async () => {
  sim = await startSimulator({
    profile: 'saas-tier1',
    timeScale: 1000,
    overrides: { error500Rate: 0, error503Rate: 0 },
  });
});
after(async () => {
  await sim.close();
});

for (const method of ['jsonSchema', 'functionCalling', 'jsonMode'] as const) {
  test(`LangChain withStructuredOutput(${method}) parses schema-valid review analyses of its own input`, async () => {
    const model = new ChatOpenAI({
      model: 'gpt-4o-mini',
      apiKey: 'sk-sim',
      maxRetries: 0,
      configuration: { baseURL: sim.url },
    });
    const structured = model.withStructuredOutput(review, { method, includeRaw: true });
    for (const text of REVIEWS) {
      const result = await structured.invoke([
        { role: 'system', content: 'Analyse the review. Answer in JSON.' },
        { role: 'user', content: text },
      ]);
      assert.deepEqual(
        result.parsed,
        simulatedAnswer({ lastUserMessage: text, schema: reviewJsonSchema }),
        `${method}: ${text}`,
      );
      const usage = (result.raw as { usage_metadata?: { input_tokens: number; output_tokens: number } }).usage_metadata;
      assert.ok(usage && usage.input_tokens > 0 && usage.output_tokens > 0);
    }
  });
}

test('LangChain jsonSchema with any other schema gets a schema-valid instance', async () => {
  const other = z.object({
    title: z.string(),
    score: z.number().min(0).max(5),
    tags: z.array(z.enum(['a', 'b'])),
    meta: z.object({ ok: z.boolean() }),
  });
  const model = new ChatOpenAI({
    model: 'gpt-4o-mini',
    apiKey: 'sk-sim',
    maxRetries: 0,
    configuration: { baseURL: sim.url },
  });
  const result = await model
    .withStructuredOutput(other, { method: 'jsonSchema', includeRaw: true })
    .invoke('some input');
  assert.equal(other.safeParse(result.parsed).success, true, JSON.stringify(result.parsed));
});

test('LangChain streaming assembles the deterministic sentence', async () => {
  const model = new ChatOpenAI({
    model: 'gpt-4o-mini',
    apiKey: 'sk-sim',
    maxRetries: 0,
    streamUsage: true,
    configuration: { baseURL: sim.url },
  });
  let text = '';
  for await (const chunk of await model.stream('great price')) text += String(chunk.content);
  assert.equal(text, simulatedAnswer({ lastUserMessage: 'great price' }));
});

test('openai client: JSON completion, usage, rate headers; streaming with a usage chunk', async () => {
  const client = new OpenAI({ apiKey: 'sk-sim', baseURL: sim.url, maxRetries: 0 });
  const { data, response } = await client.chat.completions
    .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'good quality' }], max_tokens: 50 })
    .withResponse();
  assert.equal(data.choices[0]?.message.content, simulatedAnswer({ lastUserMessage: 'good quality' }));
  assert.equal(data.choices[0]?.finish_reason, 'stop');
  assert.equal(data.usage?.prompt_tokens, 3);
  // The tokens the latency was drawn for (k ≤ max_tokens 50), or the answer's own when it is longer.
  const answerTokens = Math.ceil(String(data.choices[0]?.message.content).length / 4);
  const completion = data.usage?.completion_tokens ?? 0;
  assert.ok(completion >= answerTokens && completion <= Math.max(answerTokens, 50), `completion_tokens ${completion}`);
  for (const h of ['limit', 'remaining', 'reset']) {
    assert.ok(response.headers.get(`x-ratelimit-${h}-requests`) !== null, h);
    assert.ok(response.headers.get(`x-ratelimit-${h}-tokens`) !== null, h);
  }
  const stream = await client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'bad delivery' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let usage: unknown;
  let finish: string | null | undefined;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? '';
    finish ??= chunk.choices[0]?.finish_reason;
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(text, simulatedAnswer({ lastUserMessage: 'bad delivery' }));
  assert.equal(finish, 'stop');
  assert.ok(usage && (usage as { total_tokens: number }).total_tokens > 0);
});

test('openai client: tool calls and response_format json_schema', async () => {
  const client = new OpenAI({ apiKey: 'sk-sim', baseURL: sim.url, maxRetries: 0 });
  const tools = await client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'love the color' }],
    tools: [{ type: 'function', function: { name: 'review', parameters: reviewJsonSchema } }],
    tool_choice: 'required',
  });
  const call = tools.choices[0]?.message.tool_calls?.[0];
  assert.equal(tools.choices[0]?.finish_reason, 'tool_calls');
  assert.ok(call && call.type === 'function');
  assert.equal(call.function.name, 'review');
  assert.deepEqual(JSON.parse(call.function.arguments), { sentiment: 'positive', features: ['color'], suggestion: '' });
  const js = await client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'love the color' }],
    response_format: { type: 'json_schema', json_schema: { name: 'review', schema: reviewJsonSchema, strict: true } },
  });
  assert.deepEqual(JSON.parse(js.choices[0]?.message.content ?? ''), {
    sentiment: 'positive',
    features: ['color'],
    suggestion: '',
  });
});

test('openai client: models list and OpenAI-shaped 400s', async () => {
  const client = new OpenAI({ apiKey: 'sk-sim', baseURL: sim.url, maxRetries: 0 });
  const models = await client.models.list();
  assert.equal(models.data[0]?.id, 'gpt-4o-mini');
  await assert.rejects(
    client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] }),
    (error: unknown) =>
      error instanceof OpenAI.BadRequestError &&
      error.status === 400 &&
      error.code === 'empty_array' &&
      error.param === 'messages',
  );
  const raw = await fetch(`${sim.url}/chat/completions`, { method: 'POST', body: '{not json' });
  assert.equal(raw.status, 400);
  const body = (await raw.json()) as { error: { type: string; message: string } };
  assert.equal(body.error.type, 'invalid_request_error');
  assert.match(body.error.message, /could not parse the JSON body/);
});
