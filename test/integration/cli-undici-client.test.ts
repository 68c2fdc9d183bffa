/**
 * `model.client: undici` through the real CLI (a child process) against the simulator on loopback: every record
 * gets the simulator's deterministic answer for its own input, exactly as with the default LangChain client.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadPipelineFile } from '../../src/config/load-pipeline.ts';
import { startSimulator, type Simulator } from '../../src/sim/index.ts';
import { ROOT, runCli } from '../support/cli.ts';
import { expectedAnswerFor } from '../support/expected-answer.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-undici-'));
const PIPELINE = join(dir, 'review-insights-undici.yaml');
const INPUT = ['examples/reviews-en.sample.jsonl', 'examples/chinese-reviews-by-team.sample.jsonl']
  .map((f) => readFileSync(join(ROOT, f), 'utf8'))
  .join('');
const INPUT_RECORDS = INPUT.trim()
  .split('\n')
  .map((line) => JSON.parse(line) as Record<string, unknown>);
let sim: Simulator;

before(async () => {
  // The shipped pipeline with one added line: `client: undici` under `model:`.
  const text = readFileSync(join(ROOT, 'pipelines/review-insights.yaml'), 'utf8').replace(
    /^model:\n/m,
    'model:\n  client: undici\n',
  );
  assert.match(text, /client: undici/);
  writeFileSync(PIPELINE, text);
  sim = await startSimulator({ profile: 'saas-tier1', timeScale: 20, seed: 7 });
});
after(() => sim.close());

test('sluice run with model.client: undici: every record answered with its own result, nothing dead-lettered', async () => {
  const { config } = await loadPipelineFile(PIPELINE, {});
  assert.equal(config.model.client, 'undici');
  const expected = expectedAnswerFor(config);
  const output = join(dir, 'out.jsonl');
  const result = await runCli(['run', PIPELINE, '-i', '-', '-o', output, '--no-progress'], {
    stdin: INPUT,
    env: { SLUICE_BASE_URL: sim.url, OPENAI_API_KEY: 'sk-test-cli-undici-0000' },
  });
  assert.equal(result.code, 0, result.stderr);
  const outputs = readFileSync(output, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(outputs.length, INPUT_RECORDS.length);
  outputs.forEach((out, i) => {
    const input = INPUT_RECORDS[i]!;
    assert.equal(out.id, input.id, 'ordered output');
    assert.deepEqual(out.result, expected(input));
  });
  assert.equal(sim.stats().completed >= INPUT_RECORDS.length, true);
});
