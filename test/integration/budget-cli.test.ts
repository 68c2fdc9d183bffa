/**
 * `--budget-usd` through the real CLI against the real simulator (port 0): the job stops exactly before the cap —
 * the spend (the simulator's own token counts at the pipeline's prices) stays ≤ the cap and the refused request's
 * worst case would have crossed it — exits 5, writes only paid answers, and `--resume` finishes the job.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startSimulator, type Simulator } from '../../src/sim/index.ts';
import { ROOT, runCli } from '../support/cli.ts';
import { reviewRecords, toJsonl } from '../support/review-records.ts';

const PIPELINE = join(ROOT, 'pipelines/review-insights.yaml'); // prices: 0.15 / 0.60 USD per 1M tokens
const PRICES = { input: 0.15, output: 0.6 };
const CAP = 0.001;
const dir = mkdtempSync(join(tmpdir(), 'sluice-budget-'));
let sim: Simulator;
const sims: Simulator[] = [];
after(async () => {
  for (const s of sims) await s.close();
});

const readLines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, any>);
const simSpend = () => {
  const s = sim.stats();
  return (s.tokensIn * PRICES.input + s.tokensOut * PRICES.output) / 1e6;
};

describe('sluice run --budget-usd (simulator peer)', () => {
  for (const [label, extra] of [
    ['pack 1', ['-c', '1']],
    ['pack 4, concurrency 3', ['--pack', '4', '-c', '3']],
  ] as const) {
    test(`${label}: stops before the cap, exit 5, resumable`, async () => {
      sim = await startSimulator({ profile: 'null', seed: 5 });
      sims.push(sim);
      const records = reviewRecords(60, `b${extra.length}`);
      const input = join(dir, `in-${extra.length}.jsonl`);
      const output = join(dir, `out-${extra.length}.jsonl`);
      const summaryPath = join(dir, `summary-${extra.length}.json`);
      writeFileSync(input, toJsonl(records));
      const env = { SLUICE_BASE_URL: sim.url, OPENAI_API_KEY: 'sk-test-budget-0000' };
      const args = ['run', PIPELINE, '-i', input, '-o', output, '--no-progress', '--unordered', ...extra];
      const run = await runCli([...args, '--budget-usd', String(CAP), '--summary-json', summaryPath], { env });
      assert.equal(run.code, 5, run.stderr);
      assert.match(run.stderr, /budget of \$0\.001 reached/);
      assert.match(run.stderr, /--resume/);

      const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as {
        budget: {
          spentUsd: number;
          reservedUsd: number;
          requestsAdmitted: number;
          refused: { worstUsd: number; spentUsd: number };
        };
      };
      const { budget } = summary;
      const spent = simSpend();
      assert.ok(Math.abs(budget.spentUsd - spent) < 1e-12, `guard spend ${budget.spentUsd} = simulator spend ${spent}`);
      assert.ok(spent <= CAP && budget.spentUsd <= CAP, `spent ${spent} ≤ cap`);
      assert.ok(budget.requestsAdmitted >= 2, `several requests were made (${budget.requestsAdmitted})`);
      assert.equal(budget.reservedUsd, 0, 'nothing left reserved');
      assert.ok(
        budget.refused.spentUsd + budget.refused.worstUsd > CAP,
        'the refused request could have crossed the cap',
      );
      assert.ok(budget.refused.spentUsd <= spent + 1e-12);
      assert.equal(sim.stats().received, budget.requestsAdmitted, 'refused requests never reached the simulator');

      const written = readLines(output);
      assert.ok(written.length > 0 && written.length < records.length, `${written.length} written`);
      assert.equal(new Set(written.map((o) => o.id)).size, written.length);
      const outputCost = written.reduce((a, o) => a + o.usage.costUsd, 0);
      assert.ok(outputCost <= CAP + 1e-9);

      const resumed = await runCli([...args, '--resume'], { env });
      assert.equal(resumed.code, 0, resumed.stderr);
      const all = readLines(output);
      assert.deepEqual(
        all.map((o) => o.id).sort(),
        records.map((r) => r.id).sort(),
        'resume completes the job, each record once',
      );
    });
  }
});
