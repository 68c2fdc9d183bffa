/**
 * The published package, as a user gets it: `npm pack` of this checkout (its dist/, built by the test runner),
 * installed into an empty project (`npm install TARBALL`, dependencies from the npm cache or the registry), then:
 * `sluice --help`, a small job against the simulator through the installed bin, and README's library snippet run
 * as plain JavaScript and type-checked against the installed .d.ts — no tsx, no TypeScript sources involved.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import ts from 'typescript';
import { loadPipelineFile } from '../../src/config/load-pipeline.ts';
import { startSimulator, type Simulator } from '../../src/sim/index.ts';
import { ROOT } from '../support/cli.ts';
import { expectedAnswerFor } from '../support/expected-answer.ts';
import { reviewRecords, toJsonl } from '../support/review-records.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'sluice-package-'));
const project = join(dir, 'consumer');
const PIPELINE = join(ROOT, 'pipelines/review-insights.yaml');
let sim: Simulator;
let tarball: string;

/** npm as the test runner's own npm when there is one (npm test), else the one on PATH. */
function npm(args: string[], cwd: string) {
  const cli = process.env.npm_execpath;
  return cli && /npm-cli\.js$/.test(cli)
    ? run(process.execPath, [cli, ...args], { cwd, maxBuffer: 1 << 24 })
    : run('npm', args, { cwd, maxBuffer: 1 << 24 });
}

before(async () => {
  sim = await startSimulator({ profile: 'null' });
  // --ignore-scripts: dist/ was just built by the test runner (scripts/run-tests.mjs); `prepare` would rebuild it.
  const packed = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(dir, info!.filename);
  const files = info!.files.map((f) => f.path);
  for (const needed of [
    'bin/sluice.js',
    'dist/cli-bundle/sluice.js',
    'dist/index.js',
    'dist/index.d.ts',
    'pipelines/review-insights.yaml',
  ])
    assert.ok(files.includes(needed), `package lacks ${needed}`);
  for (const file of files)
    assert.doesNotMatch(file, /^(src|test|bench|scripts)\/|\.tsbuildinfo$/, `package ships ${file}`);
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await npm(['install', tarball, '--no-audit', '--no-fund', '--prefer-offline'], project);
});
after(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ ...process.env, OPENAI_API_KEY: 'sk-test-package', OPENAI_BASE_URL: sim.url });

test('the installed bin runs the compiled CLI: --help', async () => {
  const { stdout } = await run(join(project, 'node_modules/.bin/sluice'), ['--help'], { cwd: project });
  assert.match(stdout, /^Usage: sluice/);
  for (const command of ['run', 'replay', 'validate', 'sim', 'bench'])
    assert.match(stdout, new RegExp(`\\n  ${command}\\b`));
  const installed = JSON.parse(readFileSync(join(project, 'node_modules/sluice/package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  assert.equal(installed.dependencies.tsx, undefined, 'tsx is a dev tool, not a dependency');
});

test('the installed bin runs a job against the simulator, with the pipeline the package ships', async () => {
  const records = reviewRecords(8, 'pkg');
  writeFileSync(join(project, 'in.jsonl'), toJsonl(records));
  const pipeline = join(project, 'node_modules/sluice/pipelines/review-insights.yaml');
  await run(
    join(project, 'node_modules/.bin/sluice'),
    ['run', pipeline, '-i', 'in.jsonl', '-o', 'out.jsonl', '--no-progress'],
    { cwd: project, env: env() },
  );
  const { config } = await loadPipelineFile(PIPELINE, { OPENAI_API_KEY: 'x' });
  const expected = expectedAnswerFor(config);
  const outputs = readFileSync(join(project, 'out.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { id: string; result: unknown });
  assert.deepEqual(
    outputs.map((o) => o.id),
    records.map((r) => r.id),
  );
  outputs.forEach((o, i) => assert.deepEqual(o.result, expected(records[i]!)));
});

test("README's library snippet runs as plain JavaScript against the installed package, and type-checks against its .d.ts", async () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const snippet = /\n## Library\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  assert.ok(snippet.includes("from 'sluice'"), 'README has a Library section with a ts snippet importing sluice');
  const records = reviewRecords(20, 'lib');
  writeFileSync(join(project, 'reviews.jsonl'), toJsonl(records));
  mkdirSync(join(project, 'pipelines'), { recursive: true });
  copyFileSync(PIPELINE, join(project, 'pipelines/review-insights.yaml'));

  writeFileSync(join(project, 'snippet.ts'), snippet);
  const program = ts.createProgram([join(project, 'snippet.ts')], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    types: ['node'],
    typeRoots: [join(ROOT, 'node_modules/@types')],
  });
  const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  assert.deepEqual(problems, [], 'the snippet type-checks against the installed declarations');

  const js = ts.transpileModule(snippet, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  }).outputText;
  writeFileSync(join(project, 'snippet.mjs'), js);
  await run(process.execPath, ['snippet.mjs'], { cwd: project, env: env() });
  const outputs = readFileSync(join(project, 'insights.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { id: string });
  assert.deepEqual(outputs.map((o) => o.id).sort(), records.map((r) => r.id).sort());
});
