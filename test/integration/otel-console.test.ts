/**
 * `sluice run` as a child process against the simulator (null profile) with the `console` exporters selected by
 * OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER: stdout carries the data records and nothing else (each line parses
 * as one output record), while the spans and metrics are printed on stderr, one JSON object per line. Also with
 * `otlp,console`: the OTLP export still arrives and the console copy still goes to stderr.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startSimulator, type Simulator } from '../../src/sim/index.ts';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
let sim: Simulator;
let receiver: OtlpReceiver;
let dir: string;

before(async () => {
  [sim, receiver, dir] = await Promise.all([
    startSimulator({ profile: 'null' }),
    startOtlpReceiver(),
    mkdtemp(join(tmpdir(), 'sluice-otel-console-')),
  ]);
});
after(async () => {
  await Promise.all([sim.close(), receiver.close(), rm(dir, { recursive: true, force: true })]);
});

/** Runs the CLI with the output on stdout (no `-o`), capturing both streams. */
function sluiceRun(
  input: string,
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        'bin/sluice.js',
        'run',
        'pipelines/review-insights.yaml',
        '--no-progress',
        '--base-url',
        sim.url,
        '-i',
        input,
        ...args,
      ],
      {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', OPENAI_API_KEY: 'sk-test-console', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function writeReviews(name: string, count: number): Promise<{ path: string; ids: string[] }> {
  const reviews = Array.from({ length: count }, (_, i) => ({
    id: `${name}-${i}`,
    text: `Solid toaster number ${i}, browns evenly.`,
  }));
  const path = join(dir, `${name}.jsonl`);
  await writeFile(path, `${reviews.map((r) => JSON.stringify(r)).join('\n')}\n`);
  return { path, ids: reviews.map((r) => r.id) };
}

/** Every stdout line must be one JSON output record; returns their ids. */
function recordIds(stdout: string): string[] {
  const lines = stdout.split('\n').filter((line) => line !== '');
  return lines.map((line, i) => {
    let record: { id?: unknown };
    try {
      record = JSON.parse(line) as { id?: unknown };
    } catch (error) {
      assert.fail(
        `stdout line ${i + 1} of ${lines.length} is not a JSON record (${(error as Error).message}): ${line.slice(0, 120)}`,
      );
    }
    return String(record.id);
  });
}

interface ConsoleSpan {
  name: string;
  traceId: string;
  id: string;
  attributes: Record<string, unknown>;
  links: { context: { spanId: string } }[];
}
interface ConsoleMetric {
  descriptor: { name: string };
  dataPoints: { value: unknown }[];
}

/** The JSON objects among the stderr lines (sluice's own stderr lines are plain text). */
function stderrObjects(stderr: string): unknown[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as unknown);
}
const isSpan = (o: unknown): o is ConsoleSpan => typeof o === 'object' && o !== null && 'traceId' in o && 'name' in o;
const isMetric = (o: unknown): o is ConsoleMetric =>
  typeof o === 'object' && o !== null && 'descriptor' in o && 'dataPoints' in o;

test('OTEL_TRACES_EXPORTER=console and OTEL_METRICS_EXPORTER=console print to stderr; stdout holds only the records', async () => {
  const { path, ids } = await writeReviews('console', 5);
  const { code, stdout, stderr } = await sluiceRun(path, {
    OTEL_TRACES_EXPORTER: 'console',
    OTEL_METRICS_EXPORTER: 'console',
  });
  assert.equal(code, 0, stderr);

  assert.deepEqual(recordIds(stdout).sort(), ids.sort(), 'stdout: exactly one JSON record per input record');

  const objects = stderrObjects(stderr);
  const spans = objects.filter(isSpan);
  const calls = spans.filter((s) => s.name === 'chat gpt-4o-mini');
  assert.deepEqual(
    calls.map((s) => s.attributes['sluice.record.id']).sort(),
    ids.sort(),
    'stderr: one call span per record',
  );
  const run = spans.find((s) => s.name === 'sluice run review-insights');
  assert.ok(run, 'stderr: the run span');
  assert.equal(run.attributes['sluice.records.out'], 5);
  for (const call of calls)
    assert.deepEqual(
      call.links.map((l) => l.context.spanId),
      [run.id],
      'each call linked to the run span',
    );

  const recordsOut = objects.filter(isMetric).filter((m) => m.descriptor.name === 'sluice.records.out');
  assert.ok(recordsOut.length > 0, 'stderr: the records-out metric');
  assert.equal(recordsOut.at(-1)?.dataPoints[0]?.value, 5, 'the final export carries the final count');
});

test('OTEL_TRACES_EXPORTER=otlp,console exports over OTLP and prints the same spans on stderr, none on stdout', async () => {
  const { path, ids } = await writeReviews('both', 3);
  const { code, stdout, stderr } = await sluiceRun(path, {
    OTEL_TRACES_EXPORTER: 'otlp,console',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_SERVICE_NAME: 'sluice-console-both',
    OTEL_BSP_SCHEDULE_DELAY: '600000',
  });
  assert.equal(code, 0, stderr);

  assert.deepEqual(recordIds(stdout).sort(), ids.sort(), 'stdout: exactly one JSON record per input record');

  const printed = stderrObjects(stderr)
    .filter(isSpan)
    .filter((s) => s.name === 'chat gpt-4o-mini');
  assert.deepEqual(
    printed.map((s) => s.attributes['sluice.record.id']).sort(),
    ids.sort(),
    'stderr: one call span per record',
  );
  const exported = receiver.spans.filter(
    (s) => s.resource['service.name'] === 'sluice-console-both' && s.name === 'chat gpt-4o-mini',
  );
  assert.deepEqual(
    exported.map((s) => s.spanId).sort(),
    printed.map((s) => s.id).sort(),
    'OTLP got the same call spans',
  );
});

test('a record dead-lettered as invalid_output: its call spans are errors with error.type invalid_output', async () => {
  const path = join(dir, 'invalid.jsonl');
  await writeFile(
    path,
    `${JSON.stringify({ id: 'bad', text: 'Fine kettle [[sim:fault=schema_invalid]]' })}\n${JSON.stringify({ id: 'good', text: 'Fine kettle' })}\n`,
  );
  const { code, stderr } = await sluiceRun(path, { OTEL_TRACES_EXPORTER: 'console', OTEL_METRICS_EXPORTER: 'none' }, [
    '--dead-letter',
    join(dir, 'dead.jsonl'),
  ]);
  assert.equal(code, 3, stderr);
  const calls = stderrObjects(stderr)
    .filter(isSpan)
    .filter((s) => s.name === 'chat gpt-4o-mini') as Array<ConsoleSpan & { status: { code: number } }>;
  const bad = calls.filter((s) => s.attributes['sluice.record.id'] === 'bad');
  assert.equal(bad.length, 2, 'the call and its re-ask');
  for (const span of bad) {
    assert.equal(span.status.code, 2, 'SpanStatusCode.ERROR');
    assert.equal(span.attributes['error.type'], 'invalid_output');
  }
  const good = calls.find((s) => s.attributes['sluice.record.id'] === 'good');
  assert.notEqual(good?.status.code, 2);
  assert.equal(good?.attributes['error.type'], undefined);
});
