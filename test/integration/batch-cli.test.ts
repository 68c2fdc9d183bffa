/**
 * `sluice run --mode batch` as a process against the real simulator: the same results as online for every id at
 * half the price, splitting within the limits, packing, expiry (only the unfinished lines go again, or online),
 * per-request errors, the enqueued-token limit, `--mode auto`'s choice, and the refusals of what batch mode cannot do.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadPipelineFile } from '../../src/config/load-pipeline.ts';
import { startSimulator, type Simulator } from '../../src/sim/index.ts';
import { assertExactlyOnce, readJsonl, reviewPipelineWith, simBatches } from '../support/batch-job.ts';
import { ROOT, runCli } from '../support/cli.ts';
import { expectedAnswerFor } from '../support/expected-answer.ts';
import { reviewRecords, toJsonl } from '../support/review-records.ts';

const PIPELINE = join(ROOT, 'pipelines/review-insights.yaml');
const dir = mkdtempSync(join(tmpdir(), 'sluice-batch-cli-'));
/** Model time ×1000: validation 2 ms, a million requests per second, finalization 2 ms. */
const FAST = { batchValidateS: 2, batchRequestsPerS: 1000, batchFinalizeS: 2 };
let expected: (record: Record<string, unknown>) => unknown;

before(async () => {
  expected = expectedAnswerFor((await loadPipelineFile(PIPELINE, {})).config);
});

function inputFile(name: string, records: object[]): string {
  const path = join(dir, `${name}.jsonl`);
  writeFileSync(path, toJsonl(records));
  return path;
}

async function withSim<T>(
  overrides: Record<string, number>,
  run: (sim: Simulator) => Promise<T>,
  timeScale = 1000,
): Promise<T> {
  const sim = await startSimulator({ timeScale, overrides, seed: 7 });
  try {
    return await run(sim);
  } finally {
    await sim.close();
  }
}

const batchArgs = (pipeline: string, input: string, output: string, ...more: string[]) => [
  'run',
  pipeline,
  '-i',
  input,
  '-o',
  output,
  '--mode',
  'batch',
  '--poll-interval',
  '0.02',
  '--no-progress',
  ...more,
];

describe('sluice run --mode batch (CLI, simulator peer)', () => {
  test('the same results as online for every id, at half the price; one file, one batch, no chat call', async () => {
    await withSim(FAST, async (sim) => {
      const inputs = reviewRecords(300, 'same');
      const input = inputFile('same', inputs);
      const batchOut = join(dir, 'same-batch.jsonl');
      const onlineOut = join(dir, 'same-online.jsonl');
      const env = { SLUICE_BASE_URL: sim.url };
      const batch = await runCli(
        batchArgs(PIPELINE, input, batchOut, '--summary-json', join(dir, 'same-batch.summary.json')),
        { env },
      );
      assert.equal(batch.code, 0, batch.stderr);
      assert.equal(sim.stats().received, 0, 'no chat completion was called by the batch job');
      const stats = sim.stats().batch;
      assert.equal(stats.filesUploaded, 1);
      assert.equal(stats.batchesCreated, 1);
      assert.equal(stats.customIdsAnsweredTwice, 0);
      assert.match(batch.stderr, /in 300 = out 300 \+ dead letters 0/);
      assert.match(batch.stderr, /batches 1 \(completed 1\)/);
      assert.ok(
        !existsSync(join(dir, 'same-batch.batch')),
        'the work directory is removed once every record is written',
      );

      const online = await runCli(
        [
          'run',
          PIPELINE,
          '-i',
          input,
          '-o',
          onlineOut,
          '--no-progress',
          '--summary-json',
          join(dir, 'same-online.summary.json'),
        ],
        { env },
      );
      assert.equal(online.code, 0, online.stderr);
      const batchRecords = readJsonl(batchOut).records;
      assertExactlyOnce(batchRecords, inputs, expected);
      const onlineById = new Map(readJsonl(onlineOut).records.map((r) => [r.id, r]));
      for (const record of batchRecords) {
        const twin = onlineById.get(record.id)!;
        assert.deepEqual(record.result, twin.result, `result of ${record.id}`);
        assert.equal(record.category, twin.category);
        assert.equal(record.fingerprint, twin.fingerprint);
        assert.equal(record.usage.inputTokens, twin.usage.inputTokens);
        // review-insights prices 0.15 / 0.60 USD per 1M tokens online; the Batch API half of it.
        assert.equal(
          record.usage.costUsd,
          Number(((record.usage.inputTokens * 0.075 + record.usage.outputTokens * 0.3) / 1e6).toFixed(8)),
        );
        assert.equal(
          twin.usage.costUsd,
          Number(((twin.usage.inputTokens * 0.15 + twin.usage.outputTokens * 0.6) / 1e6).toFixed(8)),
        );
      }
      const batchSummary = JSON.parse(readFileSync(join(dir, 'same-batch.summary.json'), 'utf8'));
      const onlineSummary = JSON.parse(readFileSync(join(dir, 'same-online.summary.json'), 'utf8'));
      assert.equal(batchSummary.mode, 'batch');
      assert.equal(batchSummary.inputTokens, onlineSummary.inputTokens);
      const atOnlinePrice = (batchSummary.inputTokens * 0.15 + batchSummary.outputTokens * 0.6) / 1e6;
      assert.ok(
        Math.abs(batchSummary.costUsd - atOnlinePrice / 2) < 1e-9,
        `batch cost ${batchSummary.costUsd} is half of ${atOnlinePrice}`,
      );
    });
  });

  test('splits the input over batches within batch.maxRequests and batch.maxBytes', async () => {
    await withSim(FAST, async (sim) => {
      const inputs = reviewRecords(250, 'split');
      const pipeline = reviewPipelineWith(dir, 'split', 'batch:\n  maxRequests: 100\n  maxBytes: 200000');
      const output = join(dir, 'split-out.jsonl');
      const result = await runCli(batchArgs(pipeline, inputFile('split', inputs), output), {
        env: { SLUICE_BASE_URL: sim.url },
      });
      assert.equal(result.code, 0, result.stderr);
      assertExactlyOnce(readJsonl(output).records, inputs, expected);
      const batches = await simBatches(sim.url);
      assert.ok(batches.length >= 3, `at least ⌈250 / 100⌉ batches (${batches.length})`);
      for (const batch of batches) {
        const file = (await (await fetch(`${sim.url}/files/${batch.input_file_id}`)).json()) as { bytes: number };
        assert.ok(batch.request_counts.total <= 100, `${batch.id}: ${batch.request_counts.total} requests`);
        assert.ok(file.bytes <= 200_000, `${batch.id}: ${file.bytes} bytes`);
      }
      assert.equal(
        batches.reduce((n, b) => n + b.request_counts.total, 0),
        250,
      );
      assert.equal(sim.stats().batch.customIdsAnsweredTwice, 0);
    });
  });

  test('packing: one request per 3 records, the same results', async () => {
    await withSim(FAST, async (sim) => {
      const inputs = reviewRecords(31, 'pack');
      const output = join(dir, 'pack-out.jsonl');
      const result = await runCli(batchArgs(PIPELINE, inputFile('pack', inputs), output, '--pack', '3'), {
        env: { SLUICE_BASE_URL: sim.url },
      });
      assert.equal(result.code, 0, result.stderr);
      assertExactlyOnce(readJsonl(output).records, inputs, expected);
      assert.equal(sim.stats().batch.requestsAnswered, 11);
      assert.ok(readJsonl(output).records.every((r) => r.usage.shared === true || r.id === 'pack-30'));
    });
  });

  test('an expired batch with 30% unfinished: only those 30 go in a new batch', async () => {
    // 10 requests/s of model time from validation's end (1 s) to the window's end (8 s): 70 of 100 run.
    await withSim(
      { batchValidateS: 1, batchRequestsPerS: 10, batchFinalizeS: 1, batchWindowS: 8 },
      async (sim) => {
        const inputs = reviewRecords(100, 'expire');
        const output = join(dir, 'expire-out.jsonl');
        const result = await runCli(batchArgs(PIPELINE, inputFile('expire', inputs), output), {
          env: { SLUICE_BASE_URL: sim.url },
        });
        assert.equal(result.code, 0, result.stderr);
        assertExactlyOnce(readJsonl(output).records, inputs, expected);
        const [second, first] = await simBatches(sim.url);
        assert.equal(first!.status, 'expired');
        assert.deepEqual(first!.request_counts, { total: 100, completed: 70, failed: 0 });
        assert.equal(second!.status, 'completed');
        assert.equal(second!.request_counts.total, 30, 'only the unfinished requests were sent again');
        const stats = sim.stats().batch;
        assert.equal(stats.requestsAnswered, 100);
        assert.equal(stats.customIdsAnsweredTwice, 0);
        assert.match(result.stderr, /30 records to send again/);
      },
      100,
    );
  });

  test('--fallback online: the 30% a batch left unfinished are done online, nothing else', async () => {
    await withSim(
      { batchValidateS: 1, batchRequestsPerS: 10, batchFinalizeS: 1, batchWindowS: 8 },
      async (sim) => {
        const inputs = reviewRecords(100, 'fallback');
        const output = join(dir, 'fallback-out.jsonl');
        const result = await runCli(
          batchArgs(PIPELINE, inputFile('fallback', inputs), output, '--fallback', 'online'),
          { env: { SLUICE_BASE_URL: sim.url } },
        );
        assert.equal(result.code, 0, result.stderr);
        assertExactlyOnce(readJsonl(output).records, inputs, expected);
        assert.equal(sim.stats().batch.batchesCreated, 1);
        assert.equal(sim.stats().received, 30, 'exactly the unfinished records were called online');
        const online = readJsonl(output).records.filter(
          (r) =>
            r.usage.costUsd === Number(((r.usage.inputTokens * 0.15 + r.usage.outputTokens * 0.6) / 1e6).toFixed(8)),
        );
        assert.equal(online.length, 30, 'those 30 are costed at the online price');
      },
      100,
    );
  });

  test('per-request errors: a 400 is a dead letter, a 500 goes again until batch.maxSubmissions, an invalid answer is re-asked online', async () => {
    await withSim(FAST, async (sim) => {
      const inputs: Array<Record<string, unknown>> = reviewRecords(12, 'err');
      inputs[3] = { ...inputs[3], text: `${String(inputs[3]!.text)} [[sim:status=400]]` };
      inputs[5] = { ...inputs[5], text: `${String(inputs[5]!.text)} [[sim:status=500]]` };
      inputs[7] = { ...inputs[7], text: `${String(inputs[7]!.text)} [[sim:fault=schema_invalid]]` };
      inputs[9] = { id: 'err-9', category: 'x' }; // no text: never sent
      const pipeline = reviewPipelineWith(dir, 'err', 'batch:\n  maxSubmissions: 2');
      const output = join(dir, 'err-out.jsonl');
      const result = await runCli(batchArgs(pipeline, inputFile('err', inputs), output), {
        env: { SLUICE_BASE_URL: sim.url },
      });
      assert.equal(result.code, 3, result.stderr);
      const good = inputs.filter((_, i) => ![3, 5, 7, 9].includes(i));
      assertExactlyOnce(readJsonl(output).records, good, expected);
      const dead = new Map(readJsonl(join(dir, 'err-out.dead-letters.jsonl')).records.map((d) => [d.id, d]));
      assert.equal(dead.size, 4);
      assert.equal(dead.get('err-3')!.reason, 'bad_request');
      assert.equal(dead.get('err-3')!.attempts[0].status, 400);
      assert.equal(dead.get('err-5')!.reason, 'server_error');
      assert.equal(dead.get('err-5')!.retriable, true);
      assert.match(dead.get('err-5')!.message, /submitted 2 times/);
      assert.equal(dead.get('err-7')!.reason, 'invalid_output');
      assert.equal(dead.get('err-7')!.attempts.length, 2, 'the batch answer, then one online re-ask');
      assert.equal(dead.get('err-9')!.reason, 'missing_field');
      assert.equal(sim.stats().received, 1, 'one online call: the re-ask');
      const batches = await simBatches(sim.url);
      assert.equal(batches.length, 2);
      assert.equal(batches[0]!.request_counts.total, 1, 'only the 500 was sent again');
    });
  });

  test('the enqueued-token limit: batches refused with token_limit_exceeded are created again later; every record once', async () => {
    // Each chunk of 40 of these reviews holds 7,100–7,500 prompt tokens (chars/4): 10,000 lets one run at a time,
    // for 20 s of model time (40 requests at 2/s), while the next chunks are created and validated (1 s).
    await withSim(
      { batchValidateS: 1, batchRequestsPerS: 2, batchFinalizeS: 1, batchEnqueuedTokens: 10_000 },
      async (sim) => {
        const inputs = reviewRecords(120, 'tok');
        const pipeline = reviewPipelineWith(dir, 'tok', 'batch:\n  maxRequests: 40');
        const output = join(dir, 'tok-out.jsonl');
        const result = await runCli(batchArgs(pipeline, inputFile('tok', inputs), output), {
          env: { SLUICE_BASE_URL: sim.url },
        });
        assert.equal(result.code, 0, result.stderr);
        assertExactlyOnce(readJsonl(output).records, inputs, expected);
        const stats = sim.stats().batch;
        assert.ok(stats.tokenLimitFailures > 0, 'some creations were refused for the token limit');
        assert.equal(
          stats.batchesCreated,
          3 + stats.tokenLimitFailures,
          'three batches ran; each refusal created one more that ran nothing',
        );
        assert.equal(stats.requestsAnswered, 120);
        assert.equal(stats.customIdsAnsweredTwice, 0);
        assert.match(result.stderr, /Enqueued token limit reached/);
        assert.match(result.stderr, new RegExp(`${stats.tokenLimitFailures} refused for the token limit`));
      },
      100,
    );
  });

  test('--mode auto: online when the estimate fits the deadline, batch when it does not; the choice is printed first', async () => {
    await withSim(FAST, async (sim) => {
      const inputs = reviewRecords(20, 'auto');
      const input = inputFile('auto', inputs);
      const env = { SLUICE_BASE_URL: sim.url };
      const fits = await runCli(
        [
          'run',
          PIPELINE,
          '-i',
          input,
          '-o',
          join(dir, 'auto-online.jsonl'),
          '--mode',
          'auto',
          '--deadline',
          '1h',
          '--no-progress',
        ],
        { env },
      );
      assert.equal(fits.code, 0, fits.stderr);
      assert.match(
        fits.stderr.split('\n')[0]!,
        /^sluice: --mode auto: online — 20 records take at least [\d.]+s online under 500 RPM \/ 200,000 TPM, within the deadline 1h; estimated cost at most \$[\d.]+ \(in batch: \$[\d.]+\)$/,
      );
      assert.equal(sim.stats().received, 20);
      assert.equal(sim.stats().batch.batchesCreated, 0);

      const late = await runCli(
        [
          'run',
          PIPELINE,
          '-i',
          input,
          '-o',
          join(dir, 'auto-batch.jsonl'),
          '--mode',
          'auto',
          '--deadline',
          '30s',
          '--rpm',
          '10',
          '--poll-interval',
          '0.02',
          '--no-progress',
        ],
        { env },
      );
      assert.equal(late.code, 0, late.stderr);
      assert.match(
        late.stderr.split('\n')[0]!,
        /^sluice: --mode auto: batch — 20 records would take at least 2m00s online under 10 RPM \/ 200,000 TPM, past the deadline 30s; batches finish within 24 h; estimated cost at most \$[\d.]+ \(online: \$[\d.]+\)$/,
      );
      assert.equal(sim.stats().batch.batchesCreated, 1);
      assert.equal(sim.stats().received, 20, 'no further online call');
      assertExactlyOnce(readJsonl(join(dir, 'auto-batch.jsonl')).records, inputs, expected);

      const noDeadline = await runCli(
        ['run', PIPELINE, '-i', input, '-o', join(dir, 'auto-x.jsonl'), '--mode', 'auto'],
        { env },
      );
      assert.equal(noDeadline.code, 2);
      assert.match(noDeadline.stderr, /--mode auto: needs a deadline: --deadline 30m/);
    });
  });

  test('--resume after a run with dead letters still exits 3: exit 0 promises every record is in the output', async () => {
    await withSim(FAST, async (sim) => {
      const inputs: Array<Record<string, unknown>> = reviewRecords(20, 'dl');
      inputs[4] = { id: inputs[4]!.id, note: 'no text field: the prompt cannot be rendered' };
      const input = inputFile('dl', inputs);
      const out = join(dir, 'dl-out.jsonl');
      const env = { SLUICE_BASE_URL: sim.url };
      const first = await runCli(batchArgs(PIPELINE, input, out), { env });
      assert.equal(first.code, 3, first.stderr);
      assert.match(first.stderr, /in 20 = out 19 \+ dead letters 1/);
      const resumed = await runCli(batchArgs(PIPELINE, input, out, '--resume'), { env });
      assert.equal(resumed.code, 3, resumed.stderr);
      assert.match(resumed.stderr, /resuming: 20 records already done \(1 of them as dead letters\)/);
      assert.match(resumed.stderr, /skipped 1 records an earlier run dead-lettered/);
      assert.equal(readJsonl(out).records.length, 19, 'nothing written twice');
    });
  });

  test('--dry-run --mode batch: costs at the batch price, no request made', async () => {
    const input = inputFile('dry', reviewRecords(10, 'dry'));
    const online = await runCli([
      'run',
      PIPELINE,
      '-i',
      input,
      '--dry-run',
      '--summary-json',
      join(dir, 'dry-online.json'),
    ]);
    const batch = await runCli([
      'run',
      PIPELINE,
      '-i',
      input,
      '--dry-run',
      '--mode',
      'batch',
      '--summary-json',
      join(dir, 'dry-batch.json'),
    ]);
    assert.equal(online.code, 0, online.stderr);
    assert.equal(batch.code, 0, batch.stderr);
    assert.match(batch.stderr, /at the Batch API price/);
    const a = JSON.parse(readFileSync(join(dir, 'dry-online.json'), 'utf8'));
    const b = JSON.parse(readFileSync(join(dir, 'dry-batch.json'), 'utf8'));
    assert.ok(Math.abs(b.costUsdMax - a.costUsdMax / 2) < 1e-12, `${b.costUsdMax} vs ${a.costUsdMax}`);
  });

  test('refused up front (exit 2, one line): stdin input, stdout output, --budget-usd', async () => {
    const input = inputFile('refuse-in', reviewRecords(2, 'refuse'));
    const stdin = await runCli(['run', PIPELINE, '-o', join(dir, 'refuse.jsonl'), '--mode', 'batch'], {
      stdin: toJsonl(reviewRecords(2)),
    });
    assert.equal(stdin.code, 2);
    assert.match(stdin.stderr, /^sluice: -i: --mode batch reads a file \(give -i FILE\)/);
    const stdout = await runCli(['run', PIPELINE, '-i', input, '--mode', 'batch']);
    assert.equal(stdout.code, 2);
    assert.match(stdout.stderr, /-o: --mode batch writes a file/);
    const budget = await runCli([
      'run',
      PIPELINE,
      '-i',
      input,
      '-o',
      join(dir, 'refuse.jsonl'),
      '--mode',
      'batch',
      '--budget-usd',
      '1',
    ]);
    assert.equal(budget.code, 2);
    assert.match(budget.stderr, /--budget-usd: is for --mode online/);
    for (const r of [stdin, stdout, budget]) assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  test('an endpoint without a Batch API: exit 6 and what to do', async () => {
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: { message: `Invalid URL (${req.method} ${req.url})`, type: 'invalid_request_error' } }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
      const result = await runCli(
        batchArgs(PIPELINE, inputFile('nobatch-in', reviewRecords(3, 'nb')), join(dir, 'nobatch-out.jsonl')),
        { env: { SLUICE_BASE_URL: url } },
      );
      assert.equal(result.code, 6, result.stderr);
      assert.match(result.stderr, /POST \/files \(chunk 1\): the endpoint has no Batch API \(404 Invalid URL/);
      assert.match(result.stderr, /use --mode online/);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

after(() => undefined);
