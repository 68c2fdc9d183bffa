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

// The auto limiter against the real simulator (saas-tier1 shape, tiny RPM, time-scaled): header pacing keeps the
// provider's 429s to a bounded few while the bucket drains and refills, and no record is lost.

const schema = {
  type: 'object',
  properties: { sentiment: { type: 'string', enum: ['positive', 'negative', 'neutral'] } },
  required: ['sentiment'],
  additionalProperties: false,
};

test('saas-tier1 (rpm 60, ×20): 240 records, 0 failed, 429s ≤ 2% of records, in flight sized by the pacer', async (t) => {
  // A 60-request bucket refilled at 20/s real: 240 records need ~3 bucket-fulls, so most admissions are paced.
  const sim = await startSimulator({ profile: 'saas-tier1', timeScale: 20, overrides: { rpm: 60, error500Rate: 0, error503Rate: 0 }, seed: 5 });
  try {
    const pipeline = PipelineSchema.parse({
      name: 'limiter-pacing',
      model: { name: 'gpt-4o-mini', maxTokens: 64, timeoutMs: 10_000 },
      prompt: { user: 'Review: {text}' },
      output: { schemaName: 'sentiment', schema },
      retries: { maxAttempts: 6, baseDelayMs: 20, maxDelayMs: 400 },
    });
    const client = createLangChainClient({ model: pipeline.model, baseUrl: sim.url, apiKey: 'sk-sim-0123456789' });
    const limiter = createAutoLimiter({ maxLimit: 64 });
    const stage = llmMap({ pipeline, client, limiter, stats: new RunStats() });
    const items = Array.from({ length: 240 }, (_, i) =>
      createEnvelope({ id: `r${i}`, value: { text: `Review number ${i}: fine product, slow delivery.` } as Record<string, unknown>, meta: { kind: 'memory', index: i } }),
    );
    const out = await collect(stage((async function* () { yield* items; })(), { signal: new AbortController().signal }));
    assert.equal(out.length, 240);
    assert.deepEqual(out.filter((e) => e.failure).map((e) => `${e.id}: ${e.failure?.reason}`), []);
    const stats = sim.stats();
    const rejected = (stats.rejected.rate_requests ?? 0) + (stats.rejected.rate_tokens ?? 0);
    assert.equal(stats.completed, 240);
    assert.ok(rejected <= 0.02 * 240, `${rejected} rate-limit 429s for 240 records`);
    t.diagnostic(`${rejected} rate-limit 429s for 240 records`);
    const snapshot = limiter.snapshot();
    assert.equal(snapshot.inFlight, 0);
    assert.ok(snapshot.buckets.requests, 'the pacer learnt the request bucket from the headers');
    assert.equal(snapshot.buckets.requests?.capacity, 60);
  } finally {
    await sim.close();
  }
});
