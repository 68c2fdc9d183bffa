import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PipelineSchema } from '../../src/config/pipeline-schema.ts';
import { createEnvelope } from '../../src/core/envelope.ts';
import { RunStats } from '../../src/core/run-stats.ts';
import { collect } from '../../src/core/stage.ts';
import { createAutoLimiter } from '../../src/limiter/auto-limiter.ts';
import { createLangChainClient } from '../../src/llm/langchain-client.ts';
import { startSimulator } from '../../src/sim/index.ts';
import { llmMap } from '../../src/stages/llm-map.ts';

// The auto limiter against the real simulator (saas-tier1 shape, tiny RPM, time-scaled): through a bucket that
// drains and refills about three times, every record ends with its answer, and the pacer learns the provider's
// request bucket from the headers. Only what cannot depend on the machine's speed is asserted: how many 429s the
// pacing buys (target ≤ 2% of records) is a timing claim, measured by bench/limiter-pacing.ts.

const schema = {
  type: 'object',
  properties: { sentiment: { type: 'string', enum: ['positive', 'negative', 'neutral'] } },
  required: ['sentiment'],
  additionalProperties: false,
};

test('saas-tier1 (rpm 60, ×20): 240 records, each answered once, none failed; the pacer learns the 60-request bucket', async (t) => {
  const sim = await startSimulator({
    profile: 'saas-tier1',
    timeScale: 20,
    overrides: { rpm: 60, error500Rate: 0, error503Rate: 0 },
    seed: 5,
  });
  try {
    const pipeline = PipelineSchema.parse({
      name: 'limiter-pacing',
      // Generous attempts and timeout: a slow machine may buy more 429s, never a failed record.
      model: { name: 'gpt-4o-mini', maxTokens: 64, timeoutMs: 120_000 },
      prompt: { user: 'Review: {text}' },
      output: { schemaName: 'sentiment', schema },
      retries: { maxAttempts: 50, baseDelayMs: 20, maxDelayMs: 400 },
    });
    const client = createLangChainClient({ model: pipeline.model, baseUrl: sim.url, apiKey: 'sk-sim-0123456789' });
    const limiter = createAutoLimiter({ maxLimit: 64 });
    const stage = llmMap({ pipeline, client, limiter, stats: new RunStats() });
    const items = Array.from({ length: 240 }, (_, i) =>
      createEnvelope({
        id: `r${i}`,
        value: { text: `Review number ${i}: fine product, slow delivery.` } as Record<string, unknown>,
        meta: { kind: 'memory', index: i },
      }),
    );
    const out = await collect(
      stage(
        (async function* () {
          yield* items;
        })(),
        { signal: new AbortController().signal },
      ),
    );
    assert.deepEqual(
      out.map((e) => e.id),
      items.map((e) => e.id),
      'every record once, in input order',
    );
    assert.deepEqual(
      out.filter((e) => e.failure).map((e) => `${e.id}: ${e.failure?.reason}`),
      [],
    );
    const stats = sim.stats();
    assert.equal(stats.completed, 240, 'one answered request per record');
    t.diagnostic(
      `${(stats.rejected.rate_requests ?? 0) + (stats.rejected.rate_tokens ?? 0)} rate-limit 429s for 240 records (bench/limiter-pacing.ts judges this)`,
    );
    const snapshot = limiter.snapshot();
    assert.equal(snapshot.inFlight, 0);
    assert.ok(snapshot.buckets.requests, 'the pacer learnt the request bucket from the headers');
    assert.equal(snapshot.buckets.requests?.capacity, 60);
  } finally {
    await sim.close();
  }
});
