/** The README's library example, run as written (against the simulator), so the documented API stays true. */
import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import {
  createLangChainClient,
  createLimiter,
  deadLetterSink,
  dropNotStartedStep,
  envelopeSteps,
  fileSink,
  llmMap,
  loadPipelineFile,
  parseJsonLines,
  readLines,
  routingSink,
  RunStats,
  serializeJsonStep,
  startSimulator,
} from '../../src/index.ts';
import { ROOT } from '../support/cli.ts';
import { expectedAnswerFor } from '../support/expected-answer.ts';
import { reviewRecords, toJsonl } from '../support/review-records.ts';

test('README library example: stages composed with stream.pipeline', async () => {
  const sim = await startSimulator({ profile: 'null' });
  const dir = mkdtempSync(join(tmpdir(), 'sluice-lib-'));
  const inputPath = join(dir, 'reviews.jsonl');
  const inputs = reviewRecords(100, 'lib');
  writeFileSync(inputPath, toJsonl(inputs));
  try {
    // --- as in README.md ---
    const { config } = await loadPipelineFile(join(ROOT, 'pipelines/review-insights.yaml'));
    const stats = new RunStats();
    const client = createLangChainClient({ model: config.model, baseUrl: sim.url, apiKey: 'sk-...' });
    await pipeline(
      createReadStream(inputPath),
      readLines({ maxLineBytes: 1 << 20, origin: { kind: 'file', path: inputPath }, stats }),
      parseJsonLines({ idField: 'id' }),
      llmMap({ pipeline: config, client, limiter: createLimiter({ algorithm: 'auto', maxLimit: 64 }), stats }),
      envelopeSteps(dropNotStartedStep, serializeJsonStep),
      routingSink({
        output: fileSink(join(dir, 'insights.jsonl')),
        deadLetter: deadLetterSink(join(dir, 'dead.jsonl')),
        stats,
      }),
    );
    // ---
    const expected = expectedAnswerFor(config);
    const outputs = readFileSync(join(dir, 'insights.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      outputs.map((o) => o.id),
      inputs.map((r) => r.id),
    );
    outputs.forEach((o, i) => assert.deepEqual(o.result, expected(inputs[i]!)));
    assert.equal(stats.recordsOut, 100);
    assert.equal(stats.deadLetters, 0);
  } finally {
    await sim.close();
  }
});
