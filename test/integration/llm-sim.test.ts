import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PipelineSchema, type PipelineConfig } from '../../src/config/pipeline-schema.ts';
import { createEnvelope, type OkEnvelope } from '../../src/core/envelope.ts';
import { okValue } from '../support/ok-value.ts';
import { RunStats } from '../../src/core/run-stats.ts';
import { collect } from '../../src/core/stage.ts';
import { createLimiter } from '../../src/limiter/create-limiter.ts';
import { FixedLimiter } from '../../src/limiter/fixed-limiter.ts';
import type { Limiter } from '../../src/limiter/limiter.ts';
import { createLangChainClient } from '../../src/llm/langchain-client.ts';
import { createPromptRenderer } from '../../src/llm/prompt.ts';
import { startSimulator, simulatedAnswer, type Simulator } from '../../src/sim/index.ts';
import { llmMap, type OutputRecord } from '../../src/stages/llm-map.ts';

// llm-map + the LangChain client against the real simulator on loopback (port 0): content correctness per
// record, content faults (re-ask, then dead letter with the raw answer), and a 429 storm with no record lost.

const schema = {
  type: 'object',
  properties: {
    sentiment: { type: 'string', enum: ['positive', 'negative', 'neutral'] },
    features: { type: 'array', items: { type: 'string' } },
    suggestion: { type: 'string' },
  },
  required: ['sentiment', 'features', 'suggestion'],
  additionalProperties: false,
};

function pipeline(overrides: Partial<Record<string, unknown>> = {}): PipelineConfig {
  return PipelineSchema.parse({
    name: 'llm-sim-test',
    model: { name: 'gpt-4o-mini', maxTokens: 256, timeoutMs: 10_000 },
    input: { keep: ['category'] },
    prompt: { system: 'Analyse the review: sentiment, features, suggestion.', user: 'Review: {text}' },
    output: { schemaName: 'review_insight', schema },
    retries: { maxAttempts: 6, baseDelayMs: 20, maxDelayMs: 200 },
    ...overrides,
  });
}

const PHRASES = [
  'The battery lasts all day and the screen is bright, great value for the price.',
  'Terrible quality, the zipper broke after two days and delivery was late.',
  'It fits as expected. Nothing special about the material.',
  '物流很快，包装完好，但是尺寸偏小，建议买大一码。',
  '质量很差，用了一周就坏了，客服也不回复。',
  'Love the color and the fabric is soft, but the sizing runs small.',
];

function records(n: number): OkEnvelope<Record<string, unknown>>[] {
  return Array.from({ length: n }, (_, i) =>
    createEnvelope({
      id: `rev-${i}`,
      value: { id: `rev-${i}`, text: `${PHRASES[i % PHRASES.length]} (#${i})`, category: i % 2 ? 'Dresses' : 'Tops' },
      meta: { kind: 'memory', index: i },
    }),
  );
}

async function run(
  sim: Simulator,
  config: PipelineConfig,
  limiter: Limiter,
  items: OkEnvelope<Record<string, unknown>>[],
) {
  const client = createLangChainClient({ model: config.model, baseUrl: sim.url, apiKey: 'sk-sim-0123456789' });
  const stats = new RunStats();
  const stage = llmMap({ pipeline: config, client, limiter, stats });
  const out = await collect(
    stage(
      (async function* () {
        yield* items;
      })(),
      { signal: new AbortController().signal },
    ),
  );
  return { out, stats };
}

function expectedFor(config: PipelineConfig, value: Record<string, unknown>): unknown {
  const rendered = createPromptRenderer(config.prompt).render(value);
  assert.ok(rendered.ok);
  return simulatedAnswer({ lastUserMessage: rendered.messages.at(-1)!.content, schema });
}

test('200 reviews at concurrency 16: every result is the simulator answer for its own prompt, in order', async () => {
  const sim = await startSimulator({ profile: 'null' });
  try {
    const config = pipeline();
    const items = records(200);
    const { out, stats } = await run(sim, config, new FixedLimiter(16), items);
    assert.deepEqual(
      out.map((e) => e.id),
      items.map((e) => e.id),
    );
    for (const [i, e] of out.entries()) {
      assert.equal(e.failure, undefined, `${e.id}: ${e.failure?.message}`);
      const record: OutputRecord = okValue(e);
      assert.deepEqual(record.result, expectedFor(config, items[i]!.value), e.id);
      assert.equal(record.category, items[i]!.value.category);
      assert.equal(record.attempts, 1);
      assert.ok(record.usage.inputTokens > 0 && record.usage.outputTokens > 0);
    }
    const simStats = sim.stats();
    assert.equal(simStats.completed, 200);
    assert.ok(simStats.maxInFlight <= 16, `max in flight ${simStats.maxInFlight}`);
    assert.equal(stats.attempts, 200);
    assert.equal(stats.inFlight, 0);
  } finally {
    await sim.close();
  }
});

test('every answer malformed or truncated: re-asked once, then dead-lettered with the raw answer', async () => {
  for (const [fault, pattern] of [
    ['faultMalformedRate', /not valid JSON/],
    ['faultTruncateRate', /cut off at max_tokens/],
  ] as const) {
    const sim = await startSimulator({ profile: 'null', overrides: { [fault]: 1 } });
    try {
      const { out } = await run(sim, pipeline(), new FixedLimiter(8), records(20));
      assert.equal(out.length, 20);
      for (const e of out) {
        assert.equal(e.failure?.reason, 'invalid_output', fault);
        assert.match(e.failure!.message, pattern);
        assert.ok(e.failure!.rawAnswer && e.failure!.rawAnswer.length > 0, 'raw answer kept');
        assert.equal(e.failure!.attempts.length, 2);
        assert.equal(e.failure!.stage, 'llm-map');
      }
      assert.equal(sim.stats().completed, 40, 'one call + one re-ask per record');
    } finally {
      await sim.close();
    }
  }
});

test('some schema-invalid answers: the re-ask repairs them; counts add up with the simulator', async () => {
  const sim = await startSimulator({ profile: 'null', overrides: { faultSchemaInvalidRate: 0.3 }, seed: 7 });
  try {
    const config = pipeline();
    const items = records(100);
    const { out } = await run(sim, config, new FixedLimiter(8), items);
    let repaired = 0;
    let dead = 0;
    for (const [i, e] of out.entries()) {
      if (e.failure) {
        assert.equal(e.failure.reason, 'invalid_output');
        dead++;
      } else if (okValue(e).attempts === 2) repaired++;
      else assert.deepEqual(okValue(e).result, expectedFor(config, items[i]!.value));
    }
    assert.ok(repaired > 0, 'some answers were repaired by the re-ask');
    assert.equal(sim.stats().faults.schema_invalid, repaired + 2 * dead);
  } finally {
    await sim.close();
  }
});

test('429 storm on saas-tier1 with a tiny RPM (time-scaled): no record lost, every answer correct', async () => {
  // rpm 12 at time scale 100: a 12-request bucket refilled at 20/s, latencies ÷100. The limiter starts with 16
  // calls in flight — more than the bucket holds — so the first wave is a 429 storm; the rest is paced.
  const sim = await startSimulator({ profile: 'saas-tier1', timeScale: 100, overrides: { rpm: 12 }, seed: 3 });
  try {
    const config = pipeline();
    const items = records(80);
    const limiter = createLimiter({ algorithm: 'auto', initialLimit: 16, maxLimit: 16 });
    const { out, stats } = await run(sim, config, limiter, items);
    const failed = out.filter((e) => e.failure);
    assert.deepEqual(
      failed.map((e) => `${e.id}: ${e.failure?.reason} ${e.failure?.message}`),
      [],
    );
    for (const [i, e] of out.entries()) assert.deepEqual(okValue(e).result, expectedFor(config, items[i]!.value), e.id);
    const simStats = sim.stats();
    const rejected = simStats.rejected.rate_requests ?? 0;
    assert.ok(rejected >= 2, `the storm happened (${rejected} rate-limited answers)`);
    assert.equal(stats.retriesByReason.get('rate_limited'), rejected);
    assert.equal(simStats.completed, 80, 'exactly one answered call per record');
    console.log(
      `# 429 storm: ${rejected} rate-limited answers for 80 records; retries ${JSON.stringify(Object.fromEntries(stats.retriesByReason))}`,
    );
  } finally {
    await sim.close();
  }
});
