/**
 * A Batch API request carries exactly the body the online job sends: for each client (LangChain, undici), each
 * structured-output method, strict and non-strict schemas, a non-zero temperature, and packed requests, the bodies
 * the online stages really put on the wire (captured by a proxy in front of the real simulator) are compared byte
 * for byte with the `body` of the batch request lines (src/batch/request-line.ts) rendered for the same records.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { pipelineFingerprint } from '../../src/config/fingerprint.ts';
import { PipelineSchema, type PipelineConfig } from '../../src/config/pipeline-schema.ts';
import { createEnvelope, type OkEnvelope } from '../../src/core/envelope.ts';
import { RunStats } from '../../src/core/run-stats.ts';
import { collect, fromArray } from '../../src/core/stage.ts';
import { createLimiter } from '../../src/limiter/create-limiter.ts';
import { createLangChainClient } from '../../src/llm/langchain-client.ts';
import { createUndiciClient } from '../../src/llm/undici-client.ts';
import { createRequestRenderer } from '../../src/batch/request-line.ts';
import { llmMap } from '../../src/stages/llm-map.ts';
import { llmMapPacked } from '../../src/stages/llm-map-packed.ts';
import { startSimulator, type Simulator } from '../../src/sim/index.ts';

const REVIEW_SCHEMA = {
  type: 'object',
  properties: {
    sentiment: { type: 'string', enum: ['positive', 'negative', 'neutral'] },
    features: { type: 'array', items: { type: 'string' } },
    suggestion: { type: 'string' },
  },
  required: ['sentiment', 'features', 'suggestion'],
  additionalProperties: false,
};
const LOOSE_SCHEMA = {
  type: 'object',
  description: 'A loose answer.',
  properties: { label: { type: 'string' }, score: { type: 'number' } },
  required: ['label'],
};

const RECORDS = [
  { id: 'a', text: 'Great phone, fast "delivery"!\nWould buy again.' },
  { id: 'b', text: '尺码偏小，物流太慢了，失望 😞' },
  { id: 'c', text: 'Back-slash \\ and tab\there; {braces} and }{ too' },
  { id: 'd', text: 'Fine.' },
  { id: 'e', text: 'Battery died after two days. Screen is nice though.' },
];

let sim: Simulator;
let proxy: Server;
let proxyUrl = '';
const captured: string[] = [];

before(async () => {
  sim = await startSimulator({ seed: 3 });
  // Records each body as received, byte for byte, and passes the request on to the simulator.
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      captured.push(body);
      const answer = await fetch(`${sim.url}${(req.url ?? '').replace(/^\/v1/, '')}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(await answer.text());
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/v1`;
});

after(async () => {
  proxy.closeAllConnections();
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
  await sim.close();
});

function pipeline(overrides: {
  model?: Record<string, unknown>;
  schema?: Record<string, unknown>;
  pack?: number;
}): PipelineConfig {
  return PipelineSchema.parse({
    name: 'body-test',
    model: { name: 'gpt-4o-mini', apiKeyEnv: 'UNUSED_KEY', ...overrides.model },
    prompt: { system: 'You analyse reviews. Reply in JSON.', user: 'Review: {text}' },
    output: { schemaName: 'review_insight', schema: overrides.schema ?? REVIEW_SCHEMA },
    pack: overrides.pack ?? 1,
  });
}

function envelopes(): OkEnvelope<Record<string, unknown>>[] {
  return RECORDS.map((value, index) => createEnvelope({ id: value.id, value, meta: { kind: 'memory', index } }));
}

/** The bodies the online stage sends for RECORDS, in the order the proxy received them. */
async function onlineBodies(config: PipelineConfig): Promise<string[]> {
  captured.length = 0;
  const undici =
    config.model.client === 'undici'
      ? createUndiciClient({ model: config.model, baseUrl: proxyUrl, apiKey: 'sk-unused-0000' })
      : undefined;
  const client = undici ?? createLangChainClient({ model: config.model, baseUrl: proxyUrl, apiKey: 'sk-unused-0000' });
  const limiter = createLimiter({ algorithm: 'fixed', initialLimit: 1, maxLimit: 1 });
  const options = { pipeline: config, client, limiter, stats: new RunStats(), ordered: true, window: 1 };
  const stage = config.pack > 1 ? llmMapPacked({ ...options, maxWaitMs: 60_000 }) : llmMap(options);
  const out = await collect(stage(fromArray(envelopes())));
  await undici?.close();
  assert.equal(out.filter((e) => e.failure).length, 0, 'every online call succeeded');
  return [...captured];
}

/** The `body` of each batch request line for RECORDS, grouped as the online stage groups them. */
function batchBodies(config: PipelineConfig): string[] {
  const renderer = createRequestRenderer(config, pipelineFingerprint(config));
  const all = envelopes();
  const bodies: string[] = [];
  for (let at = 0, seq = 1; at < all.length; at += config.pack, seq++) {
    const group = all.slice(at, at + config.pack);
    const line = renderer.render(seq, group).line;
    const start = line.indexOf('"body":') + '"body":'.length;
    bodies.push(line.slice(start, -1));
  }
  return bodies;
}

const CASES: Array<[string, Parameters<typeof pipeline>[0]]> = [
  ['langchain, json_schema strict', {}],
  ['undici, json_schema strict', { model: { client: 'undici' } }],
  ['langchain, non-strict schema with a description', { schema: LOOSE_SCHEMA }],
  ['undici, non-strict schema with a description', { model: { client: 'undici' }, schema: LOOSE_SCHEMA }],
  [
    'langchain, function calling, temperature 0.7, max_tokens 100',
    { model: { structuredOutput: 'functionCalling', temperature: 0.7, maxTokens: 100 }, schema: LOOSE_SCHEMA },
  ],
  [
    'undici, function calling, temperature 0.7, max_tokens 100',
    {
      model: { client: 'undici', structuredOutput: 'functionCalling', temperature: 0.7, maxTokens: 100 },
      schema: LOOSE_SCHEMA,
    },
  ],
  ['langchain, packed 2 per request', { pack: 2 }],
  ['undici, packed 2 per request', { model: { client: 'undici' }, pack: 2 }],
];

describe('batch request bodies are byte-identical to the online bodies', () => {
  for (const [name, overrides] of CASES) {
    test(name, async () => {
      const config = pipeline(overrides);
      const online = await onlineBodies(config);
      const batch = batchBodies(config);
      assert.equal(online.length, Math.ceil(RECORDS.length / config.pack));
      assert.deepEqual(batch, online);
    });
  }

  test('the request line is valid JSON whose body parses to the online request', () => {
    const config = pipeline({});
    const line = createRequestRenderer(config, pipelineFingerprint(config)).render(7, envelopes().slice(0, 1)).line;
    const parsed = JSON.parse(line) as {
      custom_id: string;
      method: string;
      url: string;
      body: { messages: Array<{ content: string }> };
    };
    assert.equal(parsed.custom_id, `${pipelineFingerprint(config)}:7:a`);
    assert.equal(parsed.method, 'POST');
    assert.equal(parsed.url, '/v1/chat/completions');
    assert.equal(parsed.body.messages.at(-1)!.content, `Review: ${RECORDS[0]!.text}`);
  });
});
