import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PipelineSchema } from '../../../src/config/pipeline-schema.ts';
import { createEnvelope, withFailure, type Envelope, type OkEnvelope } from '../../../src/core/envelope.ts';
import { RunStats } from '../../../src/core/run-stats.ts';
import { collect, fromArray } from '../../../src/core/stage.ts';
import { skipDone } from '../../../src/resume/skip-done.ts';
import { OrdinalSet } from '../../../src/batch/ordinal-set.ts';
import { prepareChunks, RecordNumbering } from '../../../src/batch/prepare-chunks.ts';
import { createRequestRenderer } from '../../../src/batch/request-line.ts';
import { STATE_VERSION, type BatchJobState } from '../../../src/batch/state-file.ts';
import { chunkFiles, workDirFor } from '../../../src/batch/work-dir.ts';
import type { ChunkLimits } from '../../../src/batch/chunk-writer.ts';

const FP = '0123456789abcdef';

function pipeline(pack = 1) {
  return PipelineSchema.parse({
    name: 't',
    model: { name: 'gpt-4o-mini' },
    prompt: { user: 'Review: {text}' },
    output: { schema: { type: 'object' } },
    pack,
  });
}

function records(count: number): OkEnvelope<Record<string, unknown>>[] {
  return Array.from({ length: count }, (_, i) =>
    createEnvelope({
      id: `r${i}`,
      value: { text: `review number ${i}` },
      meta: { kind: 'memory', index: i },
      raw: `{"text":"review number ${i}"}`,
    }),
  );
}

function newState(): BatchJobState {
  return {
    version: STATE_VERSION,
    fingerprint: FP,
    pipeline: '/p',
    input: { path: '/i', size: 0, mtimeMs: 0 },
    baseUrl: null,
    model: 'gpt-4o-mini',
    preparedUpTo: 0,
    preparedAll: false,
    nextRequest: 1,
    chunks: [],
  };
}

async function prepare(
  input: Envelope<Record<string, unknown>>[],
  limits: ChunkLimits,
  options: { pack?: number; state?: BatchJobState; done?: Map<string, number> } = {},
) {
  const work = workDirFor(join(mkdtempSync(join(tmpdir(), 'sluice-prepare-')), 'out.jsonl'));
  await import('node:fs/promises').then((fs) => fs.mkdir(work.dir, { recursive: true }));
  const state = options.state ?? newState();
  const numbering = new RecordNumbering();
  const skipped = new OrdinalSet();
  let saves = 0;
  const config = pipeline(options.pack);
  const stage = prepareChunks({
    pipeline: config,
    renderer: createRequestRenderer(config, FP),
    numbering,
    state,
    save: async () => void saves++,
    work,
    limits,
    skipped,
  });
  const numbered = numbering.stage()(fromArray(input));
  const afterSkip = options.done
    ? skipDone({ output: options.done, deadLetters: new Map() }, new RunStats())(numbered as never)
    : numbered;
  const out = await collect(stage(afterSkip as AsyncIterable<Envelope<Record<string, unknown>>>));
  const lines = (n: number, kind: 'requests' | 'records') =>
    readFileSync(chunkFiles(work, n)[kind], 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
  return { out, state, saves, lines, skipped };
}

const WIDE: ChunkLimits = { maxRequests: 1000, maxBytes: 1e9 };

test('chunks of at most maxRequests; the state names each closed chunk and how far the input is placed', async () => {
  const { state, lines, saves } = await prepare(records(10), { ...WIDE, maxRequests: 3 });
  assert.deepEqual(
    state.chunks.map((c) => [c.n, c.requests, c.records, c.phase]),
    [
      [1, 3, 3, 'written'],
      [2, 3, 3, 'written'],
      [3, 3, 3, 'written'],
      [4, 1, 1, 'written'],
    ],
  );
  assert.equal(state.preparedUpTo, 10);
  assert.equal(state.preparedAll, true);
  assert.equal(state.nextRequest, 11);
  assert.ok(saves >= 4);
  assert.deepEqual(
    lines(2, 'requests').map((l) => l.custom_id),
    [`${FP}:4:r3`, `${FP}:5:r4`, `${FP}:6:r5`],
  );
  assert.deepEqual(
    lines(2, 'records').map((r) => [r.seq, r.ordinal, r.round, r.id, r.raw]),
    [
      [4, 3, 1, 'r3', '{"text":"review number 3"}'],
      [5, 4, 1, 'r4', '{"text":"review number 4"}'],
      [6, 5, 1, 'r5', '{"text":"review number 5"}'],
    ],
  );
});

test('maxBytes and maxTokens start a new chunk before a request would pass them', async () => {
  const { lines: oneChunk } = await prepare(records(1), WIDE);
  const lineBytes = Buffer.byteLength(JSON.stringify(oneChunk(1, 'requests')[0])) + 1;
  const bytes = await prepare(records(6), { ...WIDE, maxBytes: lineBytes * 2 + 5 });
  assert.deepEqual(
    bytes.state.chunks.map((c) => c.requests),
    [2, 2, 2],
  );
  assert.ok(bytes.state.chunks.every((c) => c.bytes <= lineBytes * 2 + 5));
  const tokens = await prepare(records(6), { ...WIDE, maxTokens: 12 }); // each request: ⌈"Review: review number i".length / 4⌉ = 6
  assert.deepEqual(
    tokens.state.chunks.map((c) => c.requests),
    [2, 2, 2],
  );
});

test('packing: one request per pack of k renderable records, the last pack may be smaller', async () => {
  const { state, lines } = await prepare(records(5), WIDE, { pack: 2 });
  assert.deepEqual(
    state.chunks.map((c) => [c.requests, c.records]),
    [[3, 5]],
  );
  assert.deepEqual(
    lines(1, 'requests').map((l) => l.custom_id),
    [`${FP}:1:r0+1`, `${FP}:2:r2+1`, `${FP}:3:r4`],
  );
  assert.deepEqual(
    lines(1, 'records').map((r) => r.seq),
    [1, 1, 2, 2, 3],
  );
});

test('failed and unrenderable records pass on to the dead letters and are never placed', async () => {
  const plain = records(4);
  const input: Envelope<Record<string, unknown>>[] = [...plain];
  input[1] = createEnvelope({ id: 'r1', value: { other: 'x' }, meta: { kind: 'memory', index: 1 } });
  input[2] = withFailure(plain[2]!, {
    stage: 'parse-json',
    reason: 'invalid_json',
    message: 'bad',
    retriable: false,
    attempts: [],
  });
  const { out, state } = await prepare(input, WIDE);
  assert.deepEqual(
    out.map((e) => [e.id, e.failure?.reason]),
    [
      ['r1', 'missing_field'],
      ['r2', 'invalid_json'],
    ],
  );
  assert.equal(out[0]!.failure?.stage, 'llm-map');
  assert.deepEqual(
    state.chunks.map((c) => c.records),
    [2],
  );
});

test('resume: records below preparedUpTo are in chunks already (not placed again) unless they cannot be rendered', async () => {
  const state = newState();
  state.chunks.push({ n: 1, origin: 1, round: 1, requests: 6, records: 6, bytes: 1, phase: 'created' });
  state.preparedUpTo = 6;
  state.nextRequest = 7;
  const input = records(9);
  input[2] = createEnvelope({ id: 'r2', value: {}, meta: { kind: 'memory', index: 2 } }); // its dead letter may be unwritten
  const { out, lines } = await prepare(input, WIDE, { state });
  assert.deepEqual(
    out.map((e) => e.id),
    ['r2'],
  );
  assert.deepEqual(
    state.chunks.map((c) => [c.n, c.records]),
    [
      [1, 6],
      [2, 3],
    ],
  );
  assert.deepEqual(
    lines(2, 'records').map((r) => [r.ordinal, r.seq]),
    [
      [6, 7],
      [7, 8],
      [8, 9],
    ],
  );
});

test('ordinals skipped by --resume are collected; numbering ignores what was done', async () => {
  const { skipped, state, lines } = await prepare(records(6), WIDE, {
    done: new Map([
      ['r1', 1],
      ['r5', 1],
    ]),
  });
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5].filter((o) => skipped.has(o)),
    [1, 5],
  );
  assert.deepEqual(
    lines(1, 'records').map((r) => r.ordinal),
    [0, 2, 3, 4],
  );
  assert.equal(state.preparedUpTo, 6);
});
