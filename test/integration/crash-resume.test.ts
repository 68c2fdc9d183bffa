/**
 * Nothing lost, nothing twice: the CLI killed with SIGKILL at many moments and resumed, stopped with SIGINT and
 * resumed, stopped by an exhausted quota and resumed — the final output holds every id exactly once, each with
 * the simulator's answer for its own input. Real processes; the simulator is the peer.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { loadPipelineFile } from '../../src/config/load-pipeline.ts';
import { startSimulator, type Simulator } from '../../src/sim/index.ts';
import { ROOT, runCli, startCli } from '../support/cli.ts';
import { expectedAnswerFor } from '../support/expected-answer.ts';
import { reviewRecords, toJsonl } from '../support/review-records.ts';

const PIPELINE = join(ROOT, 'pipelines/review-insights.yaml');
const dir = mkdtempSync(join(tmpdir(), 'sluice-crash-'));
let expected: (record: Record<string, unknown>) => unknown;

before(async () => {
  expected = expectedAnswerFor((await loadPipelineFile(PIPELINE, {})).config);
});

/** Parses an output file; a torn last line (possible after SIGKILL) is returned apart. */
function readOutput(path: string): { records: Array<Record<string, any>>; torn: boolean } {
  if (!existsSync(path)) return { records: [], torn: false };
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const last = lines.pop()!;
  return { records: lines.filter(Boolean).map((l) => JSON.parse(l)), torn: last !== '' };
}

function assertExactlyOnce(records: Array<Record<string, any>>, inputs: Array<Record<string, unknown>>): void {
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  assert.deepEqual(twice, [], 'no id twice');
  const missing = inputs.filter((r) => !counts.has(r.id as string)).map((r) => r.id);
  assert.deepEqual(missing, [], 'no id missing');
  const byId = new Map(records.map((r) => [r.id, r]));
  for (const input of inputs)
    assert.deepEqual(byId.get(input.id)!.result, expected(input), `own answer for ${String(input.id)}`);
}

describe('crash safety (CLI, simulator peer)', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ profile: 'saas-tier5', timeScale: 10, seed: 11 });
  });
  after(() => sim.close());

  test('SIGKILL at 10 moments, resumed each time: every id exactly once with its own answer', async () => {
    const inputs = reviewRecords(5_000, 'kill');
    const inputPath = join(dir, 'kill-in.jsonl');
    const outputPath = join(dir, 'kill-out.jsonl');
    writeFileSync(inputPath, toJsonl(inputs));
    const env = { SLUICE_BASE_URL: sim.url };
    const args = [
      'run',
      PIPELINE,
      '-i',
      inputPath,
      '-o',
      outputPath,
      '--resume',
      '--max-concurrency',
      '128',
      '--no-progress',
    ];
    // Ten kills at spread-out moments: each run is killed a fixed time after it has started writing (start-up
    // time varies with the machine's load, so the moment is taken from the output, not from the clock).
    const killAfterFirstWriteMs = [50, 400, 150, 700, 0, 550, 250, 900, 100, 300];
    const progress: number[] = [];
    for (const delay of killAfterFirstWriteMs) {
      const before = readOutput(outputPath).records.length;
      const { child, result } = startCli(args, { env });
      let exited: Awaited<typeof result> | undefined;
      void result.then((r) => (exited = r));
      while (!exited && readOutput(outputPath).records.length === before) await sleep(20);
      if (exited) break; // nothing was left to do
      await sleep(delay);
      child.kill('SIGKILL');
      const killed = await result;
      if (killed.code === 0) break; // finished before the kill
      assert.equal(killed.signal, 'SIGKILL');
      progress.push(readOutput(outputPath).records.length);
    }
    const final = await runCli(args, { env });
    assert.equal(final.code, 0, final.stderr);
    const { records, torn } = readOutput(outputPath);
    assert.equal(torn, false);
    assertExactlyOnce(records, inputs);
    assert.equal(records.length, 5_000);
    assert.equal(progress.length, 10, `ten runs were killed mid-way (outputs after each kill: ${progress.join(', ')})`);
    assert.ok(
      progress.every((n) => n > 0 && n < 5_000),
      `every kill landed mid-run (${progress.join(', ')})`,
    );
  });

  test('SIGINT: stops reading, finishes in-flight calls, exits 130 with a summary; --resume completes the job', async () => {
    const slow = await startSimulator({ profile: 'saas-tier1', timeScale: 1, seed: 3 });
    try {
      const inputs = reviewRecords(120, 'int');
      const inputPath = join(dir, 'int-in.jsonl');
      const outputPath = join(dir, 'int-out.jsonl');
      writeFileSync(inputPath, toJsonl(inputs));
      const env = { SLUICE_BASE_URL: slow.url };
      const { child, result } = startCli(
        ['run', PIPELINE, '-i', inputPath, '-o', outputPath, '-c', '4', '--no-progress'],
        { env },
      );
      // Wait until results flow, then interrupt.
      while (readOutput(outputPath).records.length < 4) await sleep(100);
      const calledAtSignal = slow.stats().received;
      child.kill('SIGINT');
      const stopped = await result;
      assert.equal(stopped.code, 130, stopped.stderr);
      assert.match(stopped.stderr, /SIGINT: stopping/);
      assert.match(stopped.stderr, /sluice: stopped \(SIGINT\)/);
      assert.match(stopped.stderr, /resume with the same command plus --resume/);
      const partial = readOutput(outputPath);
      assert.equal(partial.torn, false);
      assert.ok(partial.records.length < inputs.length, 'stopped before the end');
      assert.equal(slow.stats().inFlight, 0, 'in-flight calls were finished, not abandoned');
      // No new call starts after the signal (the 16 records read ahead into llm-map's window used to): at most the
      // 4 in flight, and a call admitted while the signal was on its way.
      assert.ok(
        slow.stats().received <= calledAtSignal + 1,
        `calls after the signal: ${slow.stats().received - calledAtSignal}`,
      );
      assert.equal(partial.records.length, slow.stats().completed, 'every answer the provider completed was written');

      const resumed = await runCli(
        ['run', PIPELINE, '-i', inputPath, '-o', outputPath, '--resume', '-c', '64', '--no-progress'],
        { env },
      );
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stderr, new RegExp(`resuming: ${partial.records.length} records already done`));
      assertExactlyOnce(readOutput(outputPath).records, inputs);
    } finally {
      await slow.close();
    }
  });

  test('quota exhausted midway: clean stop with exit 4 and how to resume; a later --resume completes', async () => {
    const limited = await startSimulator({
      profile: 'saas-tier5',
      timeScale: 10,
      seed: 5,
      overrides: { quotaRequests: 150 },
    });
    const fresh = await startSimulator({ profile: 'saas-tier5', timeScale: 10, seed: 5 });
    try {
      const inputs = reviewRecords(400, 'quota');
      const inputPath = join(dir, 'quota-in.jsonl');
      const outputPath = join(dir, 'quota-out.jsonl');
      writeFileSync(inputPath, toJsonl(inputs));
      const args = ['run', PIPELINE, '-i', inputPath, '-o', outputPath, '--no-progress'];
      const stopped = await runCli(args, { env: { SLUICE_BASE_URL: limited.url } });
      assert.equal(stopped.code, 4, stopped.stderr);
      assert.match(stopped.stderr, /quota/i);
      assert.match(stopped.stderr, /--resume/);
      const partial = readOutput(outputPath).records;
      assert.ok(
        partial.length > 0 && partial.length <= 150,
        `some records done before the quota ran out (${partial.length})`,
      );
      assert.ok(!existsSync(join(dir, 'quota-out.dead-letters.jsonl')), 'quota failures are not dead letters');
      // The calls in flight when the quota ran out were admitted (paid for): they finish and are written.
      assert.equal(partial.length, limited.stats().completed, 'every completed call was written');
      assert.equal(limited.stats().aborted, 0, 'no admitted call was cancelled');

      const resumed = await runCli([...args, '--resume'], { env: { SLUICE_BASE_URL: fresh.url } });
      assert.equal(resumed.code, 0, resumed.stderr);
      assertExactlyOnce(readOutput(outputPath).records, inputs);
      assert.equal(
        fresh.stats().admitted,
        inputs.length - partial.length,
        'the resumed run paid only for what was missing',
      );
    } finally {
      await limited.close();
      await fresh.close();
    }
  });
});
