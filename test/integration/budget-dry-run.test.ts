/**
 * `--dry-run` through the real CLI with the simulator as the configured endpoint: it makes zero requests, and its
 * token estimate (js-tiktoken) is within 10% of what the simulator counts when the same input really runs —
 * alone and packed. Its request count is the real one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startSimulator, type Simulator } from '../../src/sim/index.ts';
import { ROOT, runCli } from '../support/cli.ts';
import { reviewRecords, toJsonl } from '../support/review-records.ts';

const PIPELINE = join(ROOT, 'pipelines/review-insights.yaml');
const dir = mkdtempSync(join(tmpdir(), 'sluice-dry-'));
const sims: Simulator[] = [];
after(async () => {
  for (const s of sims) await s.close();
});

describe('sluice run --dry-run (simulator as the endpoint)', () => {
  for (const pack of [1, 8]) {
    test(`pack ${pack}: zero requests; tokens within 10% of a real run's simulator count`, async () => {
      const sim = await startSimulator({ profile: 'null', seed: 3 });
      sims.push(sim);
      const env = { SLUICE_BASE_URL: sim.url, OPENAI_API_KEY: 'sk-test-dry-0000' };
      const input = join(dir, `in-${pack}.jsonl`);
      writeFileSync(input, toJsonl(reviewRecords(120, `d${pack}`)));
      const summaryPath = join(dir, `dry-${pack}.json`);
      const base = ['run', PIPELINE, '-i', input, '--no-progress', '--pack', String(pack)];

      const dry = await runCli(
        [...base, '--dry-run', '--summary-json', summaryPath, '--rpm', '600', '--tpm', '100000'],
        { env },
      );
      assert.equal(dry.code, 0, dry.stderr);
      assert.equal(dry.stdout, '', 'no records written');
      assert.match(dry.stderr, /dry run — no model call made/);
      // What the model would be sent for the first record, as a user checks a prompt before paying for it.
      assert.match(
        dry.stderr,
        new RegExp(`the prompt of the first record \\(d${pack}-0\\):\\n    system: You analyse customer reviews`),
      );
      assert.ok(dry.stderr.includes(`    user: Review: ${reviewRecords(1, `d${pack}`)[0]!.text}\n`), dry.stderr);
      assert.equal(sim.stats().received, 0, 'the dry run made no request');
      const estimate = JSON.parse(readFileSync(summaryPath, 'utf8')) as Record<string, any>;
      assert.equal(estimate.records, 120);
      assert.equal(estimate.requests, 120 / pack);
      assert.equal(estimate.encoding, 'o200k_base');
      assert.equal(estimate.outputTokensMax, 120 * 256);
      assert.ok(Math.abs(estimate.costUsdMax - (estimate.inputTokens * 0.15 + 120 * 256 * 0.6) / 1e6) < 1e-12);
      // Lower bound under the stated limits: requests at 600 RPM, charged tokens (chars/4 + max_tokens) at 100k TPM.
      const charged = estimate.inputTokensCharsOver4 + estimate.outputTokensMax;
      assert.ok(
        Math.abs(estimate.durationSecondsMin - 60 * Math.max(estimate.requests / 600, charged / 100_000)) < 1e-9,
      );

      const real = await runCli([...base, '-o', join(dir, `out-${pack}.jsonl`), '-c', '4'], { env });
      assert.equal(real.code, 0, real.stderr);
      const stats = sim.stats();
      assert.equal(stats.received, estimate.requests, 'the estimate has the real request count');
      const error = Math.abs(estimate.inputTokens - stats.tokensIn) / stats.tokensIn;
      process.stdout.write(`# pack ${pack}: tiktoken ${estimate.inputTokens} vs simulator ${stats.tokensIn}\n`);
      assert.ok(
        error <= 0.1,
        `estimate ${estimate.inputTokens} vs simulator ${stats.tokensIn}: ${(error * 100).toFixed(1)}%`,
      );
      assert.equal(estimate.inputTokensCharsOver4, stats.tokensIn, 'the chars/4 figure is what the simulator counts');
    });
  }
});
