/**
 * Faults together: a flaky, browning-out server with connection resets that also answers malformed JSON,
 * schema-invalid JSON and truncated answers. Every record must end as exactly one result (its own answer) or one
 * dead letter with its full attempt history; `sluice replay` of those dead letters, with the faults gone,
 * completes them.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadPipelineFile } from '../../src/config/load-pipeline.ts';
import { startSimulator, type Simulator } from '../../src/sim/index.ts';
import { ROOT, runCli } from '../support/cli.ts';
import { expectedAnswerFor } from '../support/expected-answer.ts';
import { reviewRecords, toJsonl } from '../support/review-records.ts';

const PIPELINE = join(ROOT, 'pipelines/review-insights.yaml');
const dir = mkdtempSync(join(tmpdir(), 'sluice-faults-'));
let faulty: Simulator;
let healthy: Simulator;
let expected: (record: Record<string, unknown>) => unknown;

before(async () => {
  faulty = await startSimulator({
    profile: 'flaky-tail',
    timeScale: 20,
    seed: 21,
    overrides: { faultMalformedRate: 0.08, faultSchemaInvalidRate: 0.08, faultTruncateRate: 0.08, resetRate: 0.02 },
  });
  healthy = await startSimulator({ profile: 'null', seed: 21 });
  expected = expectedAnswerFor((await loadPipelineFile(PIPELINE, {})).config);
});
after(async () => {
  await faulty.close();
  await healthy.close();
});

const lines = (path: string) =>
  existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];

test('every record ends as one result or one dead letter with its attempts; replay completes the dead letters', async () => {
  const inputs = reviewRecords(600, 'fault');
  const byId = new Map(inputs.map((r) => [r.id, r]));
  const inputPath = join(dir, 'in.jsonl');
  const outputPath = join(dir, 'out.jsonl');
  const deadPath = join(dir, 'dead.jsonl');
  writeFileSync(inputPath, toJsonl(inputs));

  const run = await runCli(
    [
      'run',
      PIPELINE,
      '-i',
      inputPath,
      '-o',
      outputPath,
      '--dead-letter',
      deadPath,
      '--timeout',
      '3000',
      '--no-progress',
    ],
    {
      env: { SLUICE_BASE_URL: faulty.url },
    },
  );
  assert.equal(run.code, 3, `finished with dead letters\n${run.stderr}`);
  const outputs = lines(outputPath);
  const dead = lines(deadPath);
  const ids = [...outputs, ...dead].map((r) => r.id).sort();
  assert.deepEqual(ids, inputs.map((r) => r.id).sort(), 'every id exactly once across results and dead letters');
  for (const out of outputs)
    assert.deepEqual(out.result, expected(byId.get(out.id)!), `own answer for ${out.id}, re-asked or not`);
  assert.ok(
    outputs.some((o) => o.attempts > 1),
    'some results needed retries or a re-ask',
  );

  const stats = faulty.stats();
  assert.ok(
    (stats.faults.malformed ?? 0) > 0 && (stats.faults.schema_invalid ?? 0) > 0 && (stats.faults.truncate ?? 0) > 0,
    JSON.stringify(stats.faults),
  );
  assert.ok(dead.length > 0, 'some answers stayed invalid after the re-ask');
  for (const letter of dead) {
    assert.equal(letter.stage, 'llm-map');
    assert.ok(letter.attempts.length >= 2, `${letter.id}: every attempt is recorded`);
    for (const attempt of letter.attempts) {
      assert.ok(!Number.isNaN(Date.parse(attempt.at)), 'attempt time');
      assert.equal(typeof attempt.reason, 'string', 'attempt reason');
    }
    if (letter.reason === 'invalid_output') assert.equal(typeof letter.rawAnswer, 'string', 'the raw answer is kept');
    assert.deepEqual(JSON.parse(letter.raw), byId.get(letter.id), 'the raw input is kept');
  }

  // Replay with the faults gone: the pipeline comes from the dead letters themselves.
  const replayOut = join(dir, 'replayed.jsonl');
  const replay = await runCli(['replay', deadPath, '-o', replayOut, '--no-progress'], {
    env: { SLUICE_BASE_URL: healthy.url },
  });
  assert.equal(replay.code, 0, replay.stderr);
  const replayed = lines(replayOut);
  assert.deepEqual(replayed.map((r) => r.id).sort(), dead.map((d) => d.id).sort());
  for (const out of replayed) assert.deepEqual(out.result, expected(byId.get(out.id)!));
  assert.ok(!existsSync(join(dir, 'dead.remaining.jsonl')), 'nothing failed again');
});
