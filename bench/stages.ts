/**
 * Stage benchmarks: each stage alone, in records/s and MB/s, next to its alternatives measured in the same run,
 * so every choice is backed by a number. Input comes from memory (1 MiB chunks) so disk speed is not measured,
 * except in the file-sink rows, which write a real temp file (and fsync at the end).
 *
 *   npx tsx bench/stages.ts [--records N] [--runs R]
 *
 * Prints ONE Markdown table and writes bench/results/stages.md and bench/results/stages.json.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import split2 from 'split2';
import makeParser from 'stream-json';
import JsonlParser from 'stream-json/jsonl/Parser.js';
import StreamArray from 'stream-json/streamers/StreamArray.js';
import { createEnvelope, type Envelope, type OkEnvelope } from '../src/core/envelope.ts';
import { RunStats } from '../src/core/run-stats.ts';
import { fromArray, type StageContext } from '../src/core/stage.ts';
import { fileSink } from '../src/sinks/file.ts';
import { batch } from '../src/stages/batch.ts';
import { parseJsonArray } from '../src/stages/parse-json-array.ts';
import { parseJsonLines, type JsonRecord } from '../src/stages/parse-json.ts';
import { readLines } from '../src/stages/read-lines.ts';
import { serializeJson } from '../src/stages/serialize-json.ts';
import { loadReviewLines } from './data/generate-reviews.ts';
import { createEnvelopeExplicit } from './stages/envelope-variant.ts';
import { llmMapCases, llmMapPlaceholderRows } from './stages/llm-map-rows.ts';
import {
  machineDescription,
  markdownTable,
  measureAll,
  withRatios,
  type BenchCase,
  type BenchRow,
} from './stages/measure.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const index = args.indexOf(name);
  const value = index >= 0 ? Number(args[index + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};
const RECORDS = option('--records', 200_000);
const RUNS = option('--runs', 3);
const CHUNK = 1 << 20;
const ctx: StageContext = { signal: new AbortController().signal };

function chunked(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += CHUNK) out.push(data.subarray(offset, offset + CHUNK));
  return out;
}

async function count(iterable: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const item of iterable) {
    void item;
    n++;
  }
  return n;
}

async function main(): Promise<void> {
  const { lines, origin } = loadReviewLines(RECORDS);
  const jsonl = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
  const jsonlChunks = chunked(jsonl);
  const arrayFile = Buffer.from(`[\n${lines.join(',\n')}\n]\n`, 'utf8');
  const arrayChunks = chunked(arrayFile);
  const bytes = jsonl.length;
  const meta = (line: number) => ({ kind: 'file', path: 'bench.jsonl', line }) as const;
  const lineEnvelopes: OkEnvelope<string>[] = lines.map((line, i) =>
    createEnvelope({ id: `line:${i + 1}`, value: line, raw: line, meta: meta(i + 1) }),
  );
  const records: OkEnvelope<JsonRecord>[] = lineEnvelopes.map((e) =>
    createEnvelope({ id: e.id, value: JSON.parse(e.value) as JsonRecord, raw: e.raw, meta: e.meta }),
  );
  const serialized: OkEnvelope<string>[] = records.map((e) =>
    createEnvelope({ id: e.id, value: JSON.stringify(e.value), meta: e.meta }),
  );
  const subset = records.slice(0, Math.ceil(RECORDS / 10));
  const subsetBytes = lines.slice(0, subset.length).reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
  const fromMemory = <T>(items: readonly T[]) => Readable.from(items, { objectMode: true });
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-stages-'));
  const group = {
    lines: 'line reading',
    parse: 'parsing (bytes → records)',
    parseAlone: 'parse-json alone',
    envelope: 'envelope creation',
    serialize: 'serialize',
    batch: 'batch',
    sink: 'serialize + file sink',
  };

  const cases: BenchCase[] = [
    {
      group: group.lines,
      name: 'sluice read-lines (Buffer.indexOf + isUtf8 → envelopes)',
      chosen: true,
      records: RECORDS,
      bytes,
      notes: 'detects invalid UTF-8 and overlong lines per line, byte-exact limit',
      run: () =>
        count(
          readLines({ maxLineBytes: 1 << 20, origin: { kind: 'file', path: 'bench.jsonl' }, stats: new RunStats() })(
            fromMemory(jsonlChunks),
            ctx,
          ),
        ),
    },
    {
      group: group.lines,
      name: 'split2 (strings only)',
      records: RECORDS,
      bytes,
      notes: 'invalid UTF-8 already U+FFFD; overlong line: stream error or silent skip',
      run: () => count(fromMemory(jsonlChunks).pipe(split2())),
    },
    {
      group: group.lines,
      name: 'split2 → envelopes (same work as read-lines minus the checks)',
      records: RECORDS,
      bytes,
      run: async () => {
        let n = 0;
        for await (const line of fromMemory(jsonlChunks).pipe(split2()) as AsyncIterable<string>) {
          n++;
          createEnvelope({ id: `line:${n}`, value: line, raw: line, meta: meta(n) });
        }
        return n;
      },
    },
    {
      group: group.lines,
      name: 'node:readline → envelopes',
      records: RECORDS,
      bytes,
      run: async () => {
        let n = 0;
        for await (const line of createInterface({ input: fromMemory(jsonlChunks), crlfDelay: Infinity })) {
          n++;
          createEnvelope({ id: `line:${n}`, value: line, raw: line, meta: meta(n) });
        }
        return n;
      },
    },
    {
      group: group.lines,
      name: 'node:readline (strings only)',
      records: RECORDS,
      bytes,
      notes: 'no length limit at all',
      run: () => count(createInterface({ input: fromMemory(jsonlChunks), crlfDelay: Infinity })),
    },
    {
      group: group.parse,
      name: 'sluice read-lines → parse-json (JSON.parse per line)',
      chosen: true,
      records: RECORDS,
      bytes,
      notes: 'bytes → record envelopes',
      run: () =>
        count(
          parseJsonLines({ idField: 'id' })(
            readLines({ maxLineBytes: 1 << 20, origin: { kind: 'file', path: 'bench.jsonl' }, stats: new RunStats() })(
              fromMemory(jsonlChunks),
              ctx,
            ),
            ctx,
          ),
        ),
    },
    {
      group: group.parse,
      name: 'stream-json jsonl/Parser (bytes → objects)',
      records: RECORDS,
      bytes,
      notes: 'includes its own line splitting; no envelopes, no line numbers; a bad line errors the whole stream',
      run: () => count(fromMemory(jsonlChunks).pipe(JsonlParser.make())),
    },
    {
      group: group.parse,
      name: 'sluice parse-json-array (element splitter + JSON.parse per element)',
      records: RECORDS,
      bytes: arrayFile.length,
      notes: 'single JSON array file, bytes → envelopes, streamed',
      run: () =>
        count(
          parseJsonArray({ idField: 'id', origin: { kind: 'file', path: 'bench.json' }, stats: new RunStats() })(
            fromMemory(arrayChunks),
            ctx,
          ),
        ),
    },
    {
      group: group.parse,
      name: 'stream-json parser (default options) + streamArray',
      records: RECORDS,
      bytes: arrayFile.length,
      notes:
        'stream-json, which parse-json-array used before (it dropped the elements it still buffered at a syntax error); no envelopes',
      run: () => count(fromMemory(arrayChunks).pipe(makeParser()).pipe(StreamArray.streamArray())),
    },
    {
      group: group.parseAlone,
      name: 'sluice parse-json alone (line envelopes → record envelopes)',
      chosen: true,
      records: RECORDS,
      bytes,
      run: () => count(parseJsonLines({ idField: 'id' })(fromArray(lineEnvelopes), ctx)),
    },
    ...(
      [
        ['createEnvelope (src/core/envelope.ts: { ...init } + freeze)', createEnvelope, true],
        ['same, explicit fields + freeze (bench/stages/envelope-variant.ts)', createEnvelopeExplicit, false],
      ] as const
    ).map(
      ([name, create, chosen]): BenchCase => ({
        group: group.envelope,
        name,
        chosen,
        records: RECORDS,
        bytes,
        notes: 'per-record cost every source pays once',
        run: async () => {
          let n = 0;
          for (let i = 0; i < lines.length; i++) {
            const line = lines[i] as string;
            if (create({ id: `line:${i + 1}`, value: line, raw: line, meta: meta(i + 1) }).id) n++;
          }
          return n;
        },
      }),
    ),
    {
      group: group.serialize,
      name: 'sluice serialize-json (JSON.stringify)',
      chosen: true,
      records: RECORDS,
      bytes,
      run: () => count(serializeJson()(fromArray(records), ctx)),
    },
    {
      group: group.batch,
      name: 'sluice batch (size 64, maxWait 10 ms)',
      chosen: true,
      records: RECORDS,
      bytes,
      notes: 'records counted inside the batches',
      run: async () => {
        let n = 0;
        for await (const group of batch<Envelope<string>>({ size: 64, maxWaitMs: 10 })(fromArray(serialized), ctx))
          n += group.length;
        return n;
      },
    },
    ...[1, 64, 512].map(
      (size): BenchCase => ({
        group: group.sink,
        name: `serialize-json → file sink, batch ${size}`,
        chosen: size === 512,
        // Batch 1 makes one syscall per record: a tenth of the records keeps the run short; rates stay comparable.
        records: size === 1 ? subset.length : RECORDS,
        bytes: size === 1 ? subsetBytes : bytes,
        notes: size === 1 ? 'one write syscall per line' : 'one write per batch; fsync + close at the end',
        run: async () => {
          let acked = 0;
          const source = (size === 1 ? subset : records).map((e) =>
            createEnvelope({ id: e.id, value: e.value, meta: e.meta, ack: () => acked++ }),
          );
          await fileSink(join(dir, `out-${size}.jsonl`), { batchSize: size, maxWaitMs: 10 })(
            serializeJson()(fromMemory(source), ctx) as AsyncIterable<OkEnvelope<string>>,
            ctx,
          ); // no record fails here: no routing needed
          return acked;
        },
      }),
    ),
    ...llmMapCases({ envelopes: records, bytes }),
  ];

  let rows: BenchRow[];
  try {
    rows = await measureAll(cases, RUNS, (line) => process.stderr.write(`${line}\n`));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (!cases.some((c) => c.group === 'llm-map')) rows.push(...llmMapPlaceholderRows());

  const table = markdownTable(withRatios(rows));
  const machine = machineDescription();
  const header = [
    '# Stage benchmarks',
    '',
    `Machine: ${machine}.`,
    `Input: ${origin}; ${(bytes / 1e6).toFixed(1)} MB as JSON Lines (${(arrayFile.length / 1e6).toFixed(1)} MB as one JSON array), fed from memory in 1 MiB chunks.`,
    `One untimed warm-up round, then ${RUNS} timed rounds interleaved across cases; the table shows each case's median. Ratios compare implementations measured in this one run on a shared machine — trust the ratios, not the absolute numbers. Command: \`npx tsx bench/stages.ts\`.`,
    '',
  ].join('\n');
  const markdown = `${header}\n${table}\n`;
  process.stdout.write(markdown);
  const results = fileURLToPath(new URL('./results/', import.meta.url));
  await mkdir(results, { recursive: true });
  await writeFile(join(results, 'stages.md'), markdown);
  await writeFile(
    join(results, 'stages.json'),
    `${JSON.stringify({ generatedAt: new Date().toISOString(), machine, input: origin, records: RECORDS, runs: RUNS, rows: withRatios(rows) }, null, 2)}\n`,
  );
}

await main();
