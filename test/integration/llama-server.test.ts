import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLlamaServer, type RunningLlamaServer } from '../../scripts/real-servers/llama-server.mjs';
import { runCli } from '../support/cli.ts';
import { llamaSkip } from '../support/real-servers.ts';

/**
 * sluice against a server nobody here wrote: llama.cpp's `llama-server` with a real (tiny) model and 2 slots.
 * Requests beyond the slots wait in its FIFO queue — no 429, no 503 — so only latency says the pool is too wide.
 * The auto limiter starts at 4 in flight (2 × slots) and must not leap into the queue: a dozen short calls are
 * too few to tell 4 from 8 in flight apart on a quiet machine (llama.cpp does not serve its queue in arrival
 * order, and its throughput still grows a little past the slots), so slow start may double once, never more.
 */
const SLOTS = 2;
const PIPELINE = new URL('../fixtures/pipelines/sentiment-small-model.yaml', import.meta.url).pathname;
const SAMPLE = new URL('../../examples/reviews-en.sample.jsonl', import.meta.url).pathname;

describe('real llama-server', { skip: llamaSkip() }, () => {
  let server: RunningLlamaServer;
  before(async () => {
    server = await startLlamaServer({ slots: SLOTS, threads: 2 });
  });
  after(() => server?.stop());

  test(`a dozen reviews on ${SLOTS} slots: every record ends once, no timeout, at most 4 × slots in flight`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-llama-'));
    const input = join(dir, 'reviews.jsonl');
    const lines = readFileSync(SAMPLE, 'utf8').split('\n').filter(Boolean).slice(0, 12);
    writeFileSync(input, `${lines.join('\n')}\n`);
    const ids = lines.map((line) => String((JSON.parse(line) as { id: unknown }).id)).sort();
    const output = join(dir, 'out.jsonl');
    const summaryFile = join(dir, 'summary.json');
    const result = await runCli(
      ['run', PIPELINE, '-i', input, '-o', output, '--summary-json', summaryFile, '--no-progress'],
      {
        env: { SLUICE_BASE_URL: server.baseUrl, OPENAI_API_KEY: 'sk-llama-not-checked' },
      },
    );
    assert.ok(result.code === 0 || result.code === 3, `exit ${result.code}: ${result.stderr}`);
    const written = readFileSync(output, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { id: string; result: { sentiment: string } });
    const deadFile = `${output.replace(/\.jsonl$/, '')}.dead-letters.jsonl`;
    const dead = existsSync(deadFile)
      ? readFileSync(deadFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { id: string; reason: string })
      : [];
    assert.deepEqual(
      [...written.map((r) => r.id), ...dead.map((d) => d.id)].sort(),
      ids,
      'every record once, in the output or the dead letters',
    );
    for (const r of written)
      assert.ok(['positive', 'negative', 'neutral'].includes(r.result.sentiment), JSON.stringify(r));
    assert.deepEqual(
      dead.filter((d) => d.reason === 'timeout'),
      [],
      'no record timed out',
    );
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as {
      retriesByReason: Record<string, number>;
      concurrencyLimit: number;
      maxInFlight: number;
    };
    assert.equal(
      summary.retriesByReason.timeout ?? 0,
      0,
      `no attempt timed out: ${JSON.stringify(summary.retriesByReason)}`,
    );
    assert.ok(
      summary.maxInFlight <= 4 * SLOTS,
      `max in flight ${summary.maxInFlight} (limit at the last admission ${summary.concurrencyLimit})`,
    );
  });
});
