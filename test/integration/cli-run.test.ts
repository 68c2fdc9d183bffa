/**
 * The main job through the real CLI (a child process) against the real simulator on loopback:
 * file → file, stdin → stdout, `| head`, bad input, JSON array input. Every output is checked against the
 * simulator's deterministic answer for its own input.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadPipelineFile } from '../../src/config/load-pipeline.ts';
import { startSimulator, type Simulator } from '../../src/sim/index.ts';
import { ROOT, runCli, SLUICE_BIN } from '../support/cli.ts';
import { expectedAnswerFor } from '../support/expected-answer.ts';

const PIPELINE = join(ROOT, 'pipelines/review-insights.yaml');
const SAMPLES = ['examples/reviews-en.sample.jsonl', 'examples/chinese-reviews-by-team.sample.jsonl'].map((f) =>
  readFileSync(join(ROOT, f), 'utf8'),
);
const INPUT = SAMPLES.join('');
const INPUT_RECORDS = INPUT.trim()
  .split('\n')
  .map((line) => JSON.parse(line) as Record<string, unknown>);
const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));

let sim: Simulator;
let env: Record<string, string>;
let expected: (record: Record<string, unknown>) => unknown;

before(async () => {
  sim = await startSimulator({ profile: 'saas-tier1', timeScale: 20, seed: 7 });
  env = { SLUICE_BASE_URL: sim.url, OPENAI_API_KEY: 'sk-test-cli-run-0000' };
  expected = expectedAnswerFor((await loadPipelineFile(PIPELINE, {})).config);
});
after(() => sim.close());

function parseLines(text: string): Array<Record<string, any>> {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

/** Every input record has exactly one output, carrying the simulator's answer for its own prompt. */
function assertCompleteAndOwn(outputs: Array<Record<string, any>>, inputs = INPUT_RECORDS): void {
  assert.equal(outputs.length, inputs.length);
  const byId = new Map(outputs.map((o) => [o.id, o]));
  assert.equal(byId.size, inputs.length, 'ids are unique');
  for (const input of inputs) {
    const out = byId.get(input.id);
    assert.ok(out, `output for ${String(input.id)}`);
    assert.deepEqual(out.result, expected(input), `result of ${String(input.id)} is the answer to its own input`);
    assert.equal(out.category, input.category, 'kept fields are copied');
    assert.equal(out.label, input.label);
  }
}

describe('sluice run (CLI, simulator peer)', () => {
  test('file → file: every record once, in input order, with its own answer, usage and fingerprint', async () => {
    const inputPath = join(dir, 'reviews.jsonl');
    const outputPath = join(dir, 'insights.jsonl');
    writeFileSync(inputPath, INPUT);
    const run = await runCli(['run', PIPELINE, '-i', inputPath, '-o', outputPath], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, '', 'nothing on stdout when writing to a file');
    const outputs = parseLines(readFileSync(outputPath, 'utf8'));
    assertCompleteAndOwn(outputs);
    assert.deepEqual(
      outputs.map((o) => o.id),
      INPUT_RECORDS.map((r) => r.id),
      'ordered by default',
    );
    for (const out of outputs) {
      assert.ok(out.usage.inputTokens > 0 && out.usage.outputTokens > 0);
      assert.ok(out.attempts >= 1);
      assert.equal(typeof out.latencyMs, 'number');
      assert.match(out.fingerprint, /^[0-9a-f]{16}$/);
      assert.equal(out.model, 'gpt-4o-mini');
    }
    assert.match(run.stderr, /in 330 = out 330 \+ dead letters 0 \+ skipped 0 \+ unfinished 0/);
    assert.ok(!existsSync(join(dir, 'insights.dead-letters.jsonl')), 'no dead-letter file when nothing failed');
  });

  test('stdin → stdout, unordered: data only on stdout, summary on stderr', async () => {
    const run = await runCli(['run', PIPELINE, '--unordered', '-c', '8', '--no-progress'], {
      env,
      stdin: INPUT,
      cwd: dir,
    });
    assert.equal(run.code, 0, run.stderr);
    assertCompleteAndOwn(parseLines(run.stdout));
    assert.match(run.stderr, /sluice: done/);
  });

  test('| head -n 1: exits 0 quietly when the reader goes away', async () => {
    const inputPath = join(dir, 'head-input.jsonl');
    writeFileSync(inputPath, INPUT);
    const script = `"${process.execPath}" "${SLUICE_BIN}" run "${PIPELINE}" -i "${inputPath}" --no-progress 2>"${join(dir, 'head.err')}" | head -n 1; echo "status=\${PIPESTATUS[0]}"`;
    const child = spawn('bash', ['-c', script], { env: { ...process.env, ...env }, cwd: dir });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    await new Promise((resolve) => child.on('close', resolve));
    const [first, status] = stdout.trim().split('\n');
    assert.equal(JSON.parse(first!).id, INPUT_RECORDS[0]!.id);
    assert.equal(status, 'status=0', readFileSync(join(dir, 'head.err'), 'utf8'));
    const stderr = readFileSync(join(dir, 'head.err'), 'utf8');
    assert.doesNotMatch(stderr, /EPIPE|Error:/);
    // --resume needs -o FILE: a stdout job is told how to make the next one resumable, not to add --resume.
    assert.doesNotMatch(stderr, /plus --resume/);
    assert.match(stderr, /cannot be resumed: .*-o FILE/);
  });

  test('bad input: every bad line is a dead letter with a reason, every good line completes, counts add up', async () => {
    const good = INPUT_RECORDS.slice(0, 20);
    const lines: Buffer[] = [
      Buffer.from(`\uFEFF${JSON.stringify(good[0])}\r\n`), // BOM + CRLF on a good line
      Buffer.from('{"id":"broken", "text": \n'), // invalid JSON
      Buffer.from('\n   \n'), // empty and blank lines: skipped, counted
      Buffer.from(`${JSON.stringify({ id: 'no-text', category: 'x' })}\n`), // missing the prompt's field
      Buffer.concat([Buffer.from('{"id":"bad-utf8","text":"caf'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]), // invalid UTF-8
      Buffer.from(`${JSON.stringify({ id: 'huge', text: 'x'.repeat(5 * 1024 * 1024) })}\n`), // 5 MB line > maxLineBytes
      Buffer.from('[1,2,3]\n'), // JSON, but not an object
      ...good.slice(1).map((r) => Buffer.from(`${JSON.stringify(r)}\n`)),
    ];
    const inputPath = join(dir, 'bad.jsonl');
    const outputPath = join(dir, 'bad-out.jsonl');
    const deadPath = join(dir, 'bad-dead.jsonl');
    writeFileSync(inputPath, Buffer.concat(lines));
    const run = await runCli(['run', PIPELINE, '-i', inputPath, '-o', outputPath, '--dead-letter', deadPath], { env });
    assert.equal(run.code, 3, `exit 3 = finished with dead letters\n${run.stderr}`);
    assertCompleteAndOwn(parseLines(readFileSync(outputPath, 'utf8')), good);
    const dead = parseLines(readFileSync(deadPath, 'utf8'));
    const reasons = Object.fromEntries(dead.map((d) => [d.position.replace(`${inputPath}:`, 'line '), d.reason]));
    assert.deepEqual(reasons, {
      'line 2': 'invalid_json',
      'line 5': 'missing_field',
      'line 6': 'invalid_utf8',
      'line 7': 'line_too_long',
      'line 8': 'not_an_object',
    });
    for (const letter of dead) {
      assert.ok(letter.message.length > 0);
      assert.ok(letter.raw !== undefined && letter.raw !== null, 'raw input kept');
      assert.match(letter.fingerprint, /^[0-9a-f]{16}$/);
    }
    assert.ok(
      String(dead.find((d) => d.reason === 'line_too_long')?.raw).length <= 2048,
      'a huge line is kept as a preview',
    );
    assert.match(
      run.stderr,
      /in 25 = out 20 \+ dead letters 5 \+ skipped 0 \+ unfinished 0 \(empty lines skipped: 2\)/,
    );
  });

  test("a fresh run (no --resume) does not leave a previous run's dead letters behind", async () => {
    const inputPath = join(dir, 'fresh.jsonl');
    const outputPath = join(dir, 'fresh-out.jsonl');
    const deadPath = join(dir, 'fresh-dead.jsonl');
    writeFileSync(inputPath, `${INPUT.split('\n').slice(0, 5).join('\n')}\n`);
    writeFileSync(deadPath, '{"id":"stale","fingerprint":"whatever"}\n');
    const run = await runCli(
      ['run', PIPELINE, '-i', inputPath, '-o', outputPath, '--dead-letter', deadPath, '--no-progress'],
      { env },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(parseLines(readFileSync(outputPath, 'utf8')).length, 5);
    assert.ok(!existsSync(deadPath), 'the stale dead-letter file is gone');
  });

  test('a JSON array input file is streamed record by record', async () => {
    const inputs = INPUT_RECORDS.slice(0, 40);
    const inputPath = join(dir, 'array.json');
    writeFileSync(inputPath, JSON.stringify(inputs, null, 2));
    const run = await runCli(['run', PIPELINE, '--format', 'json-array', '-i', inputPath], { env });
    assert.equal(run.code, 0, run.stderr);
    assertCompleteAndOwn(parseLines(run.stdout), inputs);
  });

  test('a JSON array broken after 1,000 elements: all 1,000 results are written, then one dead letter for the break', async () => {
    const inputs = Array.from({ length: 1000 }, (_, i) => ({
      ...INPUT_RECORDS[i % INPUT_RECORDS.length]!,
      id: `a${i}`,
    }));
    const inputPath = join(dir, 'broken-array.json');
    const outputPath = join(dir, 'broken-array-out.jsonl');
    writeFileSync(inputPath, `[${inputs.map((r) => JSON.stringify(r)).join(',\n')},\n{"id":"broken", "text": ]`);
    const run = await runCli(
      ['run', PIPELINE, '--format', 'json-array', '-i', inputPath, '-o', outputPath, '--unordered', '--no-progress'],
      { env },
    );
    assert.equal(run.code, 3, run.stderr);
    assert.deepEqual(
      parseLines(readFileSync(outputPath, 'utf8'))
        .map((r) => r.id)
        .sort(),
      inputs.map((r) => r.id).sort(),
    );
    const dead = parseLines(readFileSync(join(dir, 'broken-array-out.dead-letters.jsonl'), 'utf8'));
    assert.deepEqual(
      dead.map((d) => [d.id, d.reason]),
      [['item:1001', 'invalid_json_array']],
    );
    assert.match(dead[0]!.message, /after element 1000/);
  });

  test('usage errors exit 2 and name the problem', async () => {
    const badConcurrency = await runCli(['run', PIPELINE, '-c', 'lots'], { env });
    assert.equal(badConcurrency.code, 2);
    assert.match(badConcurrency.stderr, /concurrency/);
    const missing = await runCli(['run', join(dir, 'nope.yaml')], { env });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read pipeline file/);
    const resumeToStdout = await runCli(['run', PIPELINE, '--resume'], { env, stdin: '' });
    assert.equal(resumeToStdout.code, 2);
    assert.match(resumeToStdout.stderr, /--resume: needs -o FILE/);
  });
});

describe('an endpoint that fails every call (CLI)', () => {
  test('an unreachable base URL stops the job with exit 6 and says what to check, instead of dead-lettering every record', async () => {
    // A loopback port nobody listens on: every connection is refused.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as AddressInfo;
        server.close(() => resolve(free));
      });
    });
    const inputPath = join(dir, 'unreachable.jsonl');
    const outputPath = join(dir, 'unreachable-out.jsonl');
    writeFileSync(inputPath, INPUT);
    const run = await runCli(['run', PIPELINE, '-i', inputPath, '-o', outputPath, '--no-progress'], {
      env: { ...env, SLUICE_BASE_URL: `http://127.0.0.1:${port}/v1` },
    });
    assert.equal(run.code, 6, run.stderr);
    assert.match(run.stderr, /the last 20 model calls all failed at the endpoint .*check the base URL/);
    assert.match(run.stderr, /stopped \(endpoint_failing\)/);
    const deadPath = join(dir, 'unreachable-out.dead-letters.jsonl');
    const dead = existsSync(deadPath) ? parseLines(readFileSync(deadPath, 'utf8')) : [];
    assert.equal(parseLines(readFileSync(outputPath, 'utf8')).length, 0);
    assert.ok(
      dead.length < 20,
      `a few records dead-lettered before the stop, not all ${INPUT_RECORDS.length} (${dead.length})`,
    );
  });
});

describe('sluice validate (CLI)', () => {
  test('every pipeline file passes; a bad one exits 2 naming the path', async () => {
    const ok = await runCli(['validate', 'pipelines/review-insights.yaml', 'pipelines/ticket-triage.yaml']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /ok pipelines\/review-insights\.yaml/);
    const badPath = join(dir, 'bad.yaml');
    writeFileSync(
      badPath,
      'name: x\nmodel: { name: m, maxTokens: 0 }\nprompt: { user: "{text}" }\noutput: { schema: { type: object } }\n',
    );
    const bad = await runCli(['validate', badPath]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /model\.maxTokens: /);
  });

  test('a packed pipeline whose system prompt names a record field is invalid, as `run` finds it', async () => {
    const path = join(dir, 'packed.yaml');
    writeFileSync(
      path,
      'name: x\npack: 3\nmodel: { name: m }\nprompt: { system: "Classify {cat}", user: "{text}" }\noutput: { schema: { type: object } }\n',
    );
    const result = await runCli(['validate', path]);
    assert.equal(result.code, 2, result.stdout);
    assert.match(result.stderr, /pack: packing shares one system message/);
  });
});
