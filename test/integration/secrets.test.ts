/**
 * A run with a known fake API key — through errors, retries, invalid answers, dead letters, --verbose logging and
 * OTLP export with content recording on — and every byte sluice wrote searched for the key.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from '../../src/sim/index.ts';
import { ROOT, runCli } from '../support/cli.ts';
import { reviewRecords, toJsonl } from '../support/review-records.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.ts';

const KEY = 'sk-proj-FAKEKEY-4f1c9e2a7b3d5f60';
const PIPELINE = join(ROOT, 'pipelines/review-insights.yaml');
const dir = mkdtempSync(join(tmpdir(), 'sluice-secret-'));
let sim: Simulator;
let receiver: OtlpReceiver;

before(async () => {
  sim = await startSimulator({
    profile: 'flaky-tail',
    timeScale: 30,
    seed: 9,
    overrides: { faultMalformedRate: 0.2, faultTruncateRate: 0.1, resetRate: 0.03 },
  });
  receiver = await startOtlpReceiver();
});
after(async () => {
  await sim.close();
  await receiver.close();
});

test('the API key appears nowhere: stdout, stderr, output, dead letters, exported spans and metrics', async () => {
  const inputs = reviewRecords(150, 'secret');
  // A record that makes the peer answer 401, and one that names a key-like field in the prompt text.
  inputs.push({ id: 'unauthorized', text: 'bad key [[sim:status=401]]', category: '', label: '' });
  const inputPath = join(dir, 'in.jsonl');
  writeFileSync(inputPath, `${toJsonl(inputs)}{"id": "broken json\n`);
  const run = await runCli(
    [
      'run',
      PIPELINE,
      '-i',
      inputPath,
      '-o',
      join(dir, 'out.jsonl'),
      '--dead-letter',
      join(dir, 'dead.jsonl'),
      '-v',
      '--record-content',
      '--progress-interval',
      '0.2',
      '--timeout',
      '2000',
    ],
    {
      env: {
        SLUICE_BASE_URL: sim.url,
        OPENAI_API_KEY: KEY,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_METRIC_EXPORT_INTERVAL: '500',
        OTEL_SERVICE_NAME: 'sluice-secret-test',
      },
    },
  );
  assert.equal(run.code, 3, run.stderr);
  assert.match(
    run.stderr,
    /dead letter unauthorized: llm-map\/unauthorized/,
    'the 401 was really exercised and logged',
  );
  assert.ok(
    receiver.spans.some((s) => s.name.startsWith('chat ')),
    'spans were exported',
  );
  assert.ok(receiver.metrics.length > 0, 'metrics were exported');

  const written: Array<[string, string]> = [
    ['stdout', run.stdout],
    ['stderr', run.stderr],
    ...readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')] as [string, string]),
    ...receiver.rawBodies.map((body, i) => [`otlp body ${i}`, body] as [string, string]),
  ];
  assert.ok(written.length >= 5);
  for (const [where, text] of written) {
    assert.ok(!text.includes(KEY), `the key leaked into ${where}`);
    assert.ok(!text.includes(KEY.slice(8)), `part of the key leaked into ${where}`);
  }
});
