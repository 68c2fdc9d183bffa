import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Recorder } from '../../src/bench/recorder.ts';
import { langchainBatchStrategy } from '../../src/bench/strategies/langchain-batch.ts';
import type { StrategyContext } from '../../src/bench/strategy.ts';
import { benchPipeline, type Review } from '../../src/bench/workload.ts';
import { createLangChainClient } from '../../src/llm/langchain-client.ts';
import { startSimulator, type Simulator } from '../../src/sim/index.ts';

// The langchain-batch bench peer against the real simulator: LangChain's own retries happen inside `.batch`, and
// the recorder must still see every HTTP attempt (counts equal the simulator's own), each item's fate, and
// latency from the first attempt.

function context(sim: Simulator, reviews: Review[], recorder: Recorder, timeScale: number): StrategyContext {
  const pipeline = benchPipeline({ baseUrl: sim.url, timeScale, maxTokens: 64, maxAttempts: 6 });
  const makeClient = () =>
    createLangChainClient({ model: pipeline.model, baseUrl: sim.url, apiKey: 'sk-bench-0000000000' });
  return {
    reviews,
    pipeline,
    client: recorder.wrap(makeClient()),
    recorder,
    timeScale,
    signal: new AbortController().signal,
    makeClient,
    resetSimulator: async () => {},
  };
}

const review = (i: number, extra = ''): Review => ({
  id: `rev-${i}`,
  text: `Great value for the price, would buy again ${extra}(#${i})`,
});

test('429s are retried by LangChain and counted per attempt; a 400 item fails after one attempt', async () => {
  // 4 requests per real second, bucket of 4: of 8 simultaneous requests about half get 429 (retry-after 1 s);
  // LangChain retries them after ≥ 1 s, when the bucket has refilled.
  const sim = await startSimulator({ profile: 'null', timeScale: 60, overrides: { rpm: 4 } });
  try {
    const reviews = [...Array.from({ length: 7 }, (_, i) => review(i)), review(7, '[[sim:status=400]] ')];
    const recorder = new Recorder();
    await langchainBatchStrategy(50).run(context(sim, reviews, recorder, 60));
    const m = recorder.finish(0, 50);
    const stats = sim.stats();
    assert.equal(m.items, 8);
    assert.equal(m.succeeded, 7);
    assert.equal(m.failed, 1);
    assert.equal(stats.byStatus['400'], 1, 'the 400 is not retried');
    assert.ok(m.status429 >= 1, `expected some 429s, got ${m.status429}`);
    // Every HTTP attempt LangChain made was seen, and classified as the simulator answered it.
    assert.equal(m.attempts, stats.received);
    assert.equal(m.status429, stats.byStatus['429'] ?? 0);
    assert.equal(m.failedAttempts, m.status429 + 1);
    assert.equal(m.attempts, 8 + m.status429, 'each 429 costs exactly one more attempt');
    assert.equal(stats.byStatus['200'], 7);
    // A retried item's latency runs from its first attempt, so it includes LangChain's ≥ 1 s backoff.
    assert.ok((m.latencyP99Ms ?? 0) >= 1000, `p99 ${m.latencyP99Ms} ms should include the backoff`);
    assert.equal(recorder.inFlight, 0, 'every attempt ended');
  } finally {
    await sim.close();
  }
});

test('maxConcurrency bounds the HTTP attempts in flight', async () => {
  const sim = await startSimulator({ profile: 'null', timeScale: 1 });
  try {
    const reviews = Array.from({ length: 9 }, (_, i) => review(i, '[[sim:latency_ms=150]] '));
    const recorder = new Recorder();
    const strategy = langchainBatchStrategy(3);
    await strategy.run(context(sim, reviews, recorder, 1));
    const m = recorder.finish(0, strategy.limit());
    assert.equal(m.succeeded, 9);
    assert.equal(m.failed, 0);
    assert.equal(m.attempts, 9);
    assert.equal(m.maxInFlight, 3);
    assert.equal(sim.stats().maxInFlight, 3);
    assert.equal(strategy.cap(), 3);
  } finally {
    await sim.close();
  }
});
