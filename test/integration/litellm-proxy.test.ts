import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLiteLLM, type RunningLiteLLM } from '../../scripts/real-servers/litellm-proxy.mjs';
import { loadPipelineFile } from '../../src/config/load-pipeline.ts';
import { startSimulator, type Simulator } from '../../src/sim/index.ts';
import { runCli } from '../support/cli.ts';
import { expectedAnswerFor } from '../support/expected-answer.ts';
import { litellmSkip } from '../support/real-servers.ts';

/**
 * sluice through a gateway nobody here wrote: the LiteLLM proxy in front of the simulator's `saas-tier1` (rate
 * limits with headers). LiteLLM passes the limit and remaining headers through but the resets and Retry-After
 * only as `llm_provider-…` copies, and retries upstream 429s itself. Every record must end once, with the
 * simulator's answer for its own input, and sluice must pace itself from what the gateway relays: 300 records
 * against a bucket of 120 requests that refills at 120 per simulated minute (×20: 40/s), which a pool ramping
 * up unpaced overruns within a second. (How the `llm_provider-` copies are read is pinned by the table test of
 * real LiteLLM answers, test/unit/llm/provider-headers.test.ts.)
 */
const PIPELINE = new URL('../../pipelines/review-insights.yaml', import.meta.url).pathname;
const SAMPLE = new URL('../../examples/reviews-en.sample.jsonl', import.meta.url).pathname;

describe('real LiteLLM proxy', { skip: litellmSkip() }, () => {
  let sim: Simulator;
  let proxy: RunningLiteLLM;
  before(async () => {
    sim = await startSimulator({ profile: 'saas-tier1', timeScale: 20, seed: 11, overrides: { rpm: 120 } });
    proxy = await startLiteLLM({ upstream: sim.url, model: 'gpt-4o-mini' });
  });
  after(async () => {
    await proxy?.stop();
    await sim?.close();
  });

  test('300 reviews through the proxy past its request bucket: every record once with its own answer, no 429', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-litellm-'));
    const output = join(dir, 'out.jsonl');
    const lines = readFileSync(SAMPLE, 'utf8').split('\n').filter(Boolean);
    const result = await runCli(
      ['run', PIPELINE, '-i', SAMPLE, '-o', output, '--summary-json', join(dir, 'summary.json'), '--no-progress'],
      {
        env: { SLUICE_BASE_URL: proxy.baseUrl, OPENAI_API_KEY: proxy.apiKey, SLUICE_MODEL: proxy.model },
      },
    );
    assert.equal(result.code, 0, result.stderr);
    const expected = expectedAnswerFor((await loadPipelineFile(PIPELINE, {})).config);
    const inputs = new Map(
      lines.map((l) => {
        const record = JSON.parse(l) as Record<string, unknown>;
        return [String(record.id), record];
      }),
    );
    const written = readFileSync(output, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { id: string; result: unknown });
    assert.deepEqual(written.map((r) => r.id).sort(), [...inputs.keys()].sort());
    for (const r of written) assert.deepEqual(r.result, expected(inputs.get(r.id)!), `answer of ${r.id}`);
    const stats = sim.stats();
    assert.equal(stats.byStatus['429'] ?? 0, 0, `429s at the simulator: ${JSON.stringify(stats.rejected)}`);
    assert.equal(stats.completed, 300);
  });
});
