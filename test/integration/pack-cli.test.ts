/**
 * Prompt packing through the real CLI against the real simulator (port 0): `--pack k` sends k records per
 * request, the simulator drops, swaps and duplicates items in its packed answers, and every record still ends with
 * exactly its own answer (split by id, faulty items retried alone), in input order, with usage shared out so the
 * per-record totals equal the simulator's token counts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadPipelineFile } from '../../src/config/load-pipeline.ts';
import { startSimulator, type Simulator } from '../../src/sim/index.ts';
import { ROOT, runCli } from '../support/cli.ts';
import { expectedAnswerFor } from '../support/expected-answer.ts';
import { reviewRecords, toJsonl } from '../support/review-records.ts';

const PIPELINE = join(ROOT, 'pipelines/review-insights.yaml');
const dir = mkdtempSync(join(tmpdir(), 'sluice-pack-'));
const sims: Simulator[] = [];
after(async () => {
  for (const sim of sims) await sim.close();
});

async function runPacked(records: ReturnType<typeof reviewRecords>, overrides: Record<string, number>, args: string[]) {
  const sim = await startSimulator({ profile: 'null', seed: 11, overrides });
  sims.push(sim);
  const input = join(dir, `in-${sims.length}.jsonl`);
  const output = join(dir, `out-${sims.length}.jsonl`);
  const summary = join(dir, `summary-${sims.length}.json`);
  writeFileSync(input, toJsonl(records));
  const run = await runCli(
    ['run', PIPELINE, '-i', input, '-o', output, '--no-progress', '--summary-json', summary, ...args],
    {
      env: { SLUICE_BASE_URL: sim.url, OPENAI_API_KEY: 'sk-test-pack-0000' },
    },
  );
  const outputs = readFileSync(output, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);
  return { run, outputs, sim, summary: JSON.parse(readFileSync(summary, 'utf8')) as Record<string, any> };
}

describe('sluice run --pack (simulator peer)', () => {
  test('drops, swaps and duplicates in packed answers: every record gets its own answer, in order', async () => {
    const records = reviewRecords(200, 'p');
    const expected = expectedAnswerFor((await loadPipelineFile(PIPELINE, {})).config);
    const { run, outputs, sim } = await runPacked(
      records,
      { faultPackDropRate: 0.3, faultPackSwapRate: 0.5, faultPackDuplicateRate: 0.3 },
      ['--pack', '10', '-c', '4'],
    );
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      outputs.map((o) => o.id),
      records.map((r) => r.id),
      'one output per record, in input order',
    );
    for (const [i, out] of outputs.entries()) {
      assert.deepEqual(out.result, expected(records[i]!), `${out.id} carries the answer to its own input`);
      assert.equal(out.usage.shared, true);
    }
    const stats = sim.stats();
    assert.ok(
      (stats.faults.pack_drop ?? 0) > 0 && (stats.faults.pack_swap ?? 0) > 0 && (stats.faults.pack_duplicate ?? 0) > 0,
      JSON.stringify(stats.faults),
    );
    // 20 packed requests plus one lone request per dropped item and per duplicated item.
    const faultyItems = (stats.faults.pack_drop ?? 0) + (stats.faults.pack_duplicate ?? 0);
    assert.ok(
      stats.received >= 20 && stats.received <= 20 + faultyItems,
      `requests ${stats.received}, faulty items ≤ ${faultyItems}`,
    );
    // Shared usage adds up: per-record usage totals equal what the simulator counted.
    assert.equal(
      outputs.reduce((a, o) => a + o.usage.inputTokens, 0),
      stats.tokensIn,
    );
    assert.equal(
      outputs.reduce((a, o) => a + o.usage.outputTokens, 0),
      stats.tokensOut,
    );
  });

  test('pack 5 without faults: 5× fewer requests, summary totals equal the simulator counts', async () => {
    const records = reviewRecords(50, 'q');
    const { run, outputs, sim, summary } = await runPacked(records, {}, ['--pack', '5', '--unordered']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(outputs.length, 50);
    assert.equal(new Set(outputs.map((o) => o.id)).size, 50);
    const stats = sim.stats();
    assert.equal(stats.received, 10);
    assert.ok(outputs.every((o) => o.usage.packSize === 5));
    assert.equal(summary.inputTokens, stats.tokensIn, JSON.stringify(summary));
    assert.equal(summary.outputTokens, stats.tokensOut);
  });
});
