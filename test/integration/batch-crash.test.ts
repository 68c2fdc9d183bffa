/**
 * A `--mode batch` job is killed and resumed, stopped and resumed, cancelled and resumed: every record ends exactly
 * once with its own answer, and the simulator's counters prove no batch was created twice and no request answered
 * twice. Real processes (SIGKILL, SIGINT), the simulator as the provider.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, test } from 'node:test';
import { loadPipelineFile } from '../../src/config/load-pipeline.ts';
import { createRng } from '../../src/sim/rng.ts';
import { startSimulator } from '../../src/sim/index.ts';
import { assertExactlyOnce, readJsonl, reviewPipelineWith, simBatches } from '../support/batch-job.ts';
import { ROOT, runCli, startCli, type CliResult } from '../support/cli.ts';
import { expectedAnswerFor } from '../support/expected-answer.ts';
import { reviewRecords, toJsonl } from '../support/review-records.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-batch-crash-'));
let expected: (record: Record<string, unknown>) => unknown;

before(async () => {
  expected = expectedAnswerFor((await loadPipelineFile(join(ROOT, 'pipelines/review-insights.yaml'), {})).config);
});

function job(name: string, records: number, batchYaml: string) {
  const inputs = reviewRecords(records, name);
  const input = join(dir, `${name}-in.jsonl`);
  writeFileSync(input, toJsonl(inputs));
  const pipeline = reviewPipelineWith(dir, name, `mode: batch\nbatch:\n  pollSeconds: 0.05\n${batchYaml}`);
  const output = join(dir, `${name}-out.jsonl`);
  const state = join(dir, `${name}-out.batch`, 'state.json');
  const args = (...more: string[]) => ['run', pipeline, '-i', input, '-o', output, '--no-progress', ...more];
  return { inputs, output, state, args };
}

/** The chunk phases in the state file now ('-' when there is none, '?' while it is being replaced). */
function phases(statePath: string): string {
  try {
    return (
      (JSON.parse(readFileSync(statePath, 'utf8')) as { chunks: Array<{ phase: string }> }).chunks
        .map((c) => c.phase)
        .join(',') || 'preparing'
    );
  } catch (error) {
    return existsSync(statePath) ? '?' : `- (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`;
  }
}

/** When the state file was last replaced (0 when there is none). */
function stateSavedAt(statePath: string): number {
  try {
    return statSync(statePath).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

async function untilTrue(check: () => boolean, exited: () => boolean): Promise<boolean> {
  while (!check()) {
    if (exited()) return false;
    await sleep(5);
  }
  return true;
}

describe('batch mode: crash safety (CLI, simulator peer)', () => {
  test('SIGKILL at 10 random moments, resumed each time: 0 lost, 0 twice, no batch created twice', async () => {
    // 2,100 records in chunks of 500 (5 batches, the last of 100) at 5 requests/s each: the batches run for ~100 s
    // while the job is killed and restarted (a restart takes up to ~7 s on a loaded machine, so ten of them fit);
    // creations answer after 0.5 s, a window a kill can fall into.
    const sim = await startSimulator({
      timeScale: 10,
      seed: 21,
      overrides: { batchValidateS: 10, batchRequestsPerS: 0.5, batchFinalizeS: 5, batchCreateDelayS: 5 },
    });
    try {
      const { inputs, output, state, args } = job('kill', 2_100, '  maxRequests: 500');
      const env = { SLUICE_BASE_URL: sim.url };
      const random = createRng(20260101);
      const kills: string[] = [];
      for (let i = 0; i < 10; i++) {
        const savedBefore = stateSavedAt(state);
        const { child, result } = startCli(args('--resume'), { env });
        let exited: CliResult | undefined;
        void result.then((r) => (exited = r));
        // The moment is counted from when this run opened the job (it saves the state first): start-up time varies
        // with the machine's load, and a kill during start-up tests nothing.
        if (
          !(await untilTrue(
            () => stateSavedAt(state) !== savedBefore,
            () => exited !== undefined,
          ))
        )
          break;
        await sleep(Math.floor(random() * 3_000));
        if (exited) break;
        const at = phases(state);
        child.kill('SIGKILL');
        const killed = await result;
        if (killed.code === 0) break;
        assert.equal(killed.signal, 'SIGKILL', killed.stderr);
        kills.push(`${at} [${readJsonl(output).records.length} written]`);
      }
      const final = await runCli(args('--resume'), { env });
      assert.equal(final.code, 0, final.stderr);
      const { records, torn } = readJsonl(output);
      assert.equal(torn, false);
      assertExactlyOnce(records, inputs, expected);
      assert.equal(kills.length, 10, `ten runs were killed mid-way:\n${kills.join('\n')}`);
      const stats = sim.stats().batch;
      assert.equal(stats.batchesCreated, 5, `one batch per chunk, never two (kills at: ${kills.join(' | ')})`);
      assert.equal(stats.requestsAnswered, 2_100, 'every request answered exactly once at the provider');
      assert.equal(stats.customIdsAnsweredTwice, 0);
      process.stderr.write(`batch kill loop: kills at ${kills.join(' | ')}; files uploaded ${stats.filesUploaded}\n`);
    } finally {
      await sim.close();
    }
  });

  test('SIGKILL while a batch creation is answered, and while results are written: --resume attaches, writes the rest', async () => {
    // A creation answers after 2 s: the batch exists at the provider while the job waits for the answer.
    const sim = await startSimulator({
      timeScale: 10,
      seed: 22,
      overrides: { batchValidateS: 1, batchRequestsPerS: 1000, batchFinalizeS: 1, batchCreateDelayS: 20 },
    });
    try {
      const { inputs, output, state, args } = job('window', 3_000, '  maxRequests: 3000');
      const env = { SLUICE_BASE_URL: sim.url };
      const first = startCli(args(), { env });
      let exited: CliResult | undefined;
      void first.result.then((r) => (exited = r));
      assert.ok(
        await untilTrue(
          () => sim.stats().batch.batchesCreated === 1,
          () => exited !== undefined,
        ),
        'the batch was created',
      );
      assert.equal(phases(state), 'creating', 'killed while the creation had no answer yet');
      first.child.kill('SIGKILL');
      await first.result;

      // Resumed: the batch is found by its input file, not created again; killed while its results are written.
      const second = startCli(args('--resume'), { env });
      exited = undefined;
      void second.result.then((r) => (exited = r));
      const writing = await untilTrue(
        () => readJsonl(output).records.length > 0,
        () => exited !== undefined,
      );
      second.child.kill('SIGKILL');
      const killed = await second.result;
      const written = readJsonl(output).records.length;
      assert.ok(
        writing && killed.signal === 'SIGKILL' && written < 3_000,
        `killed while writing results (${written} written, exit ${killed.code})`,
      );

      const final = await runCli(args('--resume'), { env });
      assert.equal(final.code, 0, final.stderr);
      assert.match(final.stderr, new RegExp(`resuming: ${written} records already done`));
      assertExactlyOnce(readJsonl(output).records, inputs, expected);
      const stats = sim.stats().batch;
      assert.equal(stats.batchesCreated, 1, 'the interrupted creation was found, not repeated');
      assert.equal(stats.customIdsAnsweredTwice, 0);
      assert.equal(sim.stats().received, 0, 'no record was done online instead');
    } finally {
      await sim.close();
    }
  });

  test('SIGINT while polling: exit 130, says how to resume or cancel; batches keep running; --resume re-attaches; the key is never written', async () => {
    const sim = await startSimulator({
      timeScale: 10,
      seed: 23,
      overrides: { batchValidateS: 1, batchRequestsPerS: 5, batchFinalizeS: 1 },
    });
    const key = 'sk-batch-secret-0123456789abcdef';
    try {
      const { inputs, output, state, args } = job('int', 200, '  maxRequests: 100');
      const env = { SLUICE_BASE_URL: sim.url, OPENAI_API_KEY: key };
      const { child, result } = startCli(args(), { env });
      let exited: CliResult | undefined;
      void result.then((r) => (exited = r));
      assert.ok(
        await untilTrue(
          () => phases(state) === 'created,created',
          () => exited !== undefined,
        ),
        'both batches created',
      );
      child.kill('SIGINT');
      const stopped = await result;
      assert.equal(stopped.code, 130, stopped.stderr);
      assert.match(
        stopped.stderr,
        /SIGINT: stopped polling; 2 batches keep running at the provider; resume with the same command plus --resume \(it re-attaches to them and submits nothing twice\), or cancel them with: sluice batch cancel /,
      );
      assert.match(
        stopped.stderr,
        /sluice: stopped \(SIGINT\) — in 200 = out 0 \+ dead letters 0 \+ skipped 0 \+ unfinished 200/,
      );
      assert.equal(sim.stats().batch.batchesCreated, 2);
      for (const file of [
        state,
        ...readdirSync(join(dir, 'int-out.batch')).map((f) => join(dir, 'int-out.batch', f)),
      ]) {
        assert.ok(!readFileSync(file, 'utf8').includes(key), `${file} holds no key`);
      }
      assert.ok(!stopped.stderr.includes(key));

      const fresh = await runCli(args(), { env });
      assert.equal(fresh.code, 2, 'a fresh run would submit the records twice');
      assert.match(
        fresh.stderr,
        /holds 2 batches of an earlier run that may still be running or not yet written: add --resume to continue them, or cancel them/,
      );

      const resumed = await runCli(args('--resume'), { env });
      assert.equal(resumed.code, 0, resumed.stderr);
      assertExactlyOnce(readJsonl(output).records, inputs, expected);
      assert.equal(sim.stats().batch.batchesCreated, 2, 're-attached, nothing created again');
      assert.ok(!readFileSync(output, 'utf8').includes(key));
    } finally {
      await sim.close();
    }
  });

  test('sluice batch cancel OUT: the running job keeps what finished and stops (exit 7); --resume submits the rest', async () => {
    // Two batches of 150 at 10 requests/s each: 15 s to run, time enough to cancel them midway.
    const sim = await startSimulator({
      timeScale: 10,
      seed: 24,
      overrides: { batchValidateS: 1, batchRequestsPerS: 1, batchFinalizeS: 1, batchCancelS: 1 },
    });
    try {
      const { inputs, output, state, args } = job('cancel', 300, '  maxRequests: 150');
      const env = { SLUICE_BASE_URL: sim.url };
      const running = startCli(args(), { env });
      let exited: CliResult | undefined;
      void running.result.then((r) => (exited = r));
      assert.ok(
        await untilTrue(
          () => phases(state) === 'created,created' && sim.stats().batch.batchesCreated === 2,
          () => exited !== undefined,
        ),
      );
      // Cancelled once both batches have run some requests.
      while ((await simBatches(sim.url)).some((b) => b.request_counts.completed < 5)) await sleep(100);
      const cancel = await runCli(['batch', 'cancel', output], { env });
      assert.equal(cancel.code, 0, cancel.stderr);
      assert.match(cancel.stderr, /2 batches cancelled/);
      const stopped = await running.result;
      assert.equal(stopped.code, 7, stopped.stderr);
      assert.match(stopped.stderr, /was cancelled: submitting nothing more/);
      const kept = readJsonl(output).records;
      const ran = sim.stats().batch.requestsAnswered;
      assert.equal(kept.length, ran, 'every answer the cancelled batches gave is written');
      assert.ok(ran > 0 && ran < 300, `the batches had answered part of the job (${ran})`);

      const resumed = await runCli(args('--resume'), { env });
      assert.equal(resumed.code, 0, resumed.stderr);
      assertExactlyOnce(readJsonl(output).records, inputs, expected);
      const stats = sim.stats().batch;
      assert.equal(stats.requestsAnswered, 300, 'the rest was submitted once');
      assert.equal(stats.customIdsAnsweredTwice, 0);
    } finally {
      await sim.close();
    }
  });
});
