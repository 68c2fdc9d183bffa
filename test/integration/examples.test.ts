/**
 * Every bundled pipeline runs over its bundled sample input (the CLI as a child process, the real simulator):
 * one result per record, each matching the pipeline's output schema. What a newcomer tries first must work.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadPipelineFile } from '../../src/config/load-pipeline.ts';
import { compileOutputSchema } from '../../src/llm/output-schema.ts';
import { startSimulator, type Simulator } from '../../src/sim/index.ts';
import { ROOT, runCli } from '../support/cli.ts';

/** The sample input of each pipeline in pipelines/. */
const SAMPLES: Record<string, string> = {
  'review-insights.yaml': 'examples/reviews-en.sample.jsonl',
  'ticket-triage.yaml': 'examples/tickets.sample.jsonl',
};

let sim: Simulator;
before(async () => {
  sim = await startSimulator({ profile: 'null', seed: 9 });
});
after(() => sim.close());

describe('bundled pipelines on their sample inputs (CLI)', () => {
  test('every pipeline in pipelines/ has a sample input', () => {
    assert.deepEqual(readdirSync(join(ROOT, 'pipelines')).filter((f) => f.endsWith('.yaml')).sort(), Object.keys(SAMPLES).sort());
  });

  for (const [pipeline, sample] of Object.entries(SAMPLES)) {
    test(`${pipeline} over ${sample}: one valid result per record, exit 0`, async () => {
      const path = join(ROOT, 'pipelines', pipeline);
      const { config } = await loadPipelineFile(path, {});
      const inputs = readFileSync(join(ROOT, sample), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const run = await runCli(['run', path, '-i', sample, '--no-progress'], { env: { SLUICE_BASE_URL: sim.url, OPENAI_API_KEY: 'sk-test-examples-00' } });
      assert.equal(run.code, 0, run.stderr);
      const outputs = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; result: unknown });
      assert.deepEqual(outputs.map((o) => o.id).sort(), inputs.map((r) => String(r[config.input.idField])).sort());
      const schema = compileOutputSchema(config.output.schema);
      for (const output of outputs) assert.ok(schema.validate(output.result).ok, `${output.id}: ${JSON.stringify(output.result)}`);
    });
  }
});
