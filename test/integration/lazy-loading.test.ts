/**
 * The CLI loads a module only when the job needs it: `--help` loads the command definitions and commander; a
 * run on the undici client loads neither LangChain nor Kafka nor the OpenTelemetry SDK nor the simulator; a run on
 * the default client loads LangChain (the control: the recorder does see what a job loads). The CLI runs as a
 * child process with a loader hook that records every module it loads (test/support/record-loads.mjs); a file of
 * the bundle counts as the sources it holds.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from '../../src/sim/index.ts';
import { ROOT, SLUICE_BIN } from '../support/cli.ts';
import { reviewRecords, toJsonl } from '../support/review-records.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-lazy-'));
const RECORDER = join(ROOT, 'test/support/record-loads.mjs');
let sim: Simulator;

before(async () => {
  sim = await startSimulator({ profile: 'null' });
  writeFileSync(join(dir, 'in.jsonl'), toJsonl(reviewRecords(5, 'lazy')));
  const pipeline = readFileSync(join(ROOT, 'pipelines/review-insights.yaml'), 'utf8');
  writeFileSync(join(dir, 'undici.yaml'), pipeline.replace(/^model:\n/m, 'model:\n  client: undici\n'));
});
after(() => sim.close());

/**
 * The CLI runs bundled (scripts/bundle-cli.mjs): a loaded file of dist/cli-bundle/ stands for the sources esbuild put
 * in it, by the bundle's metafile — the compiled modules of dist/ and the files of node_modules, as URLs.
 */
const BUNDLE_META = JSON.parse(readFileSync(join(ROOT, 'dist/cli-bundle/meta.json'), 'utf8')) as {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
};
function sourcesOf(url: string): string[] {
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  if (!path.startsWith(join(ROOT, 'dist/cli-bundle/'))) return [url];
  const output = BUNDLE_META.outputs[relative(ROOT, path)];
  assert.ok(output, `${path} is not in dist/cli-bundle/meta.json: a stale bundle?`);
  return Object.keys(output.inputs).map((input) => pathToFileURL(join(ROOT, input)).href);
}

/** Runs the CLI with the recorder; resolves to its exit code and the packages and sluice modules it loaded. */
async function loadsOf(
  name: string,
  args: string[],
): Promise<{ code: number | null; stderr: string; urls: string[]; packages: Set<string>; own: string[] }> {
  const record = join(dir, `${name}.loads.txt`);
  writeFileSync(record, '');
  const child = spawn(process.execPath, ['--import', RECORDER, SLUICE_BIN, ...args], {
    cwd: dir,
    env: {
      ...process.env,
      SLUICE_RECORD_LOADS: record,
      OPENAI_API_KEY: 'sk-test-lazy',
      OTEL_SDK_DISABLED: undefined,
      OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const urls = readFileSync(record, 'utf8').split('\n').filter(Boolean).flatMap(sourcesOf);
  const packages = new Set(urls.flatMap((url) => url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//)?.[1] ?? []));
  const own = urls.flatMap((url) => url.match(/\/dist\/(.+)\.js$/)?.[1] ?? []);
  return { code, stderr, urls, packages, own };
}

/** The simulator and the bench, beyond the two small modules the command definitions read (profile and strategy names). */
const SIM_OR_BENCH = /^(sim\/(?!profiles$)|bench\/(?!strategies\/names$))/;
const HEAVY = [
  '@langchain/core',
  '@langchain/openai',
  'openai',
  'kafkajs',
  '@opentelemetry/sdk-node',
  'js-tiktoken',
  'zod',
  'yaml',
  'undici',
];

test('sluice --help loads commander and the command definitions, no library of any job', async () => {
  const { code, packages, own } = await loadsOf('help', ['--help']);
  assert.equal(code, 0);
  assert.deepEqual([...packages], ['commander']);
  assert.ok(own.includes('cli/main') && own.includes('cli/commands/run'), own.join(' '));
  for (const module of own)
    assert.match(
      module,
      /^(cli\/main|cli\/commands\/\w+|cli\/job-options|batch\/cli-options|cli\/heap-tuning|core\/errors|sim\/profiles|bench\/strategies\/names)$/,
      `--help loaded ${module}`,
    );
  for (const name of HEAVY) assert.ok(!packages.has(name), `--help loaded ${name}`);
});

test('a run on the undici client loads neither LangChain, Kafka, the OpenTelemetry SDK, the tokenizer nor the simulator', async () => {
  const args = [
    'run',
    join(dir, 'undici.yaml'),
    '-i',
    join(dir, 'in.jsonl'),
    '-o',
    join(dir, 'undici.out.jsonl'),
    '--base-url',
    sim.url,
    '--no-progress',
  ];
  const { code, stderr, urls, packages, own } = await loadsOf('undici', args);
  assert.equal(code, 0, stderr);
  assert.equal(readFileSync(join(dir, 'undici.out.jsonl'), 'utf8').trim().split('\n').length, 5);
  for (const name of ['undici', 'zod', 'yaml']) assert.ok(packages.has(name), `the job needs ${name}`);
  for (const name of [
    '@langchain/core',
    '@langchain/openai',
    'openai',
    'kafkajs',
    '@opentelemetry/sdk-node',
    'js-tiktoken',
    'stream-json',
  ]) {
    assert.ok(!packages.has(name), `a plain undici run loaded ${name}`);
  }
  for (const module of own)
    assert.ok(
      !SIM_OR_BENCH.test(module) && !/langchain|(sources|sinks)\/kafka|kafka-parts/.test(module),
      `a plain undici run loaded ${module}`,
    );
  // Of undici, the pool and its request API only: not its index, which loads fetch, WebSocket, caches and mocks.
  assert.ok(urls.some((url) => url.endsWith('/undici/lib/dispatcher/pool.js')));
  for (const url of urls)
    assert.doesNotMatch(url, /\/undici\/(index\.js|lib\/web\/)/, "a plain undici run loaded undici's index");
  // Telemetry is off (no OTEL_* variable, no --otel): the per-call span and metric observers are not even loaded.
  for (const module of ['telemetry/otel-call-observer', 'telemetry/call-metrics-observer'])
    assert.ok(!own.includes(module), `telemetry off, yet ${module} loaded`);
});

test('a run on the default client loads LangChain (and still no Kafka, SDK or simulator)', async () => {
  const args = [
    'run',
    join(ROOT, 'pipelines/review-insights.yaml'),
    '-i',
    join(dir, 'in.jsonl'),
    '-o',
    join(dir, 'lc.out.jsonl'),
    '--base-url',
    sim.url,
    '--no-progress',
  ];
  const { code, stderr, packages, own } = await loadsOf('langchain', args);
  assert.equal(code, 0, stderr);
  assert.ok(packages.has('@langchain/openai'), 'the default client is LangChain');
  assert.ok(own.includes('llm/langchain-client'));
  for (const name of ['kafkajs', '@opentelemetry/sdk-node', 'undici'])
    assert.ok(!packages.has(name), `a LangChain run loaded ${name}`);
  for (const module of own)
    assert.ok(
      !SIM_OR_BENCH.test(module) && !/(sources|sinks)\/kafka|kafka-parts/.test(module),
      `a LangChain run loaded ${module}`,
    );
});
