/**
 * `sluice run` as a child process against the simulator (null profile), configured for telemetry only by OTEL_*
 * variables, exporting OTLP/HTTP json to a receiver on loopback: one `chat {model}` span per record with the
 * GenAI attributes, retries and dead letters visible, latency histograms exported — and neither the API key nor,
 * by default, any prompt text anywhere in what was sent.
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
const FAKE_KEY = 'sk-test-OTELFAKEKEY0123456789abcdefABCDEF';
let sim: Simulator;
let receiver: OtlpReceiver;
let dir: string;

before(async () => {
  [sim, receiver, dir] = await Promise.all([
    startSimulator({ profile: 'null' }),
    startOtlpReceiver(),
    mkdtemp(join(tmpdir(), 'sluice-otel-')),
  ]);
});
after(async () => {
  await Promise.all([sim.close(), receiver.close(), rm(dir, { recursive: true, force: true })]);
});

function sluiceRun(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['bin/sluice.js', 'run', 'pipelines/review-insights.yaml', '--no-progress', '--base-url', sim.url, ...args],
      {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', OPENAI_API_KEY: FAKE_KEY, ...env },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

const otelEnv = (service: string) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  OTEL_SERVICE_NAME: service,
  OTEL_BSP_SCHEDULE_DELAY: '600000',
  OTEL_METRIC_EXPORT_INTERVAL: '600000',
});

test('sluice run exports one GenAI call span per record, retries and dead letters included, and no secret', async () => {
  const reviews = Array.from({ length: 8 }, (_, i) => ({
    id: `ok-${i}`,
    text: `Lovely kettle number ${i}, boils fast. SECRET-PROMPT-${i}`,
  }));
  reviews.push({ id: 'bad-400', text: 'Broken on arrival [[sim:status=400]]' });
  reviews.push({ id: 'flaky-500', text: 'Meh [[sim:status=500]]' });
  const input = join(dir, 'in.jsonl');
  await writeFile(input, `${reviews.map((r) => JSON.stringify(r)).join('\n')}\n`);

  const { code, stderr } = await sluiceRun(
    ['-i', input, '-o', join(dir, 'out.jsonl'), '--max-attempts', '2', '-c', '4'],
    otelEnv('sluice-cli-it'),
  );
  assert.equal(code, 3, `dead letters exit code; stderr: ${stderr}`);

  const spans = receiver.spans.filter((s) => s.resource['service.name'] === 'sluice-cli-it');
  const calls = spans.filter((s) => s.name === 'chat gpt-4o-mini');
  assert.deepEqual(
    calls.map((s) => s.attributes['sluice.record.id']).sort(),
    reviews.map((r) => r.id).sort(),
    'one call span per record',
  );
  const port = Number(new URL(sim.url).port);
  for (const call of calls) {
    assert.equal(call.kind, 3);
    assert.equal(call.attributes['gen_ai.operation.name'], 'chat');
    assert.equal(call.attributes['gen_ai.request.model'], 'gpt-4o-mini');
    assert.equal(call.attributes['gen_ai.request.max_tokens'], 256);
    assert.equal(call.attributes['server.address'], '127.0.0.1');
    assert.equal(call.attributes['server.port'], port);
    assert.equal(typeof call.attributes['sluice.limiter.wait_ms'], 'number');
  }
  const ok = calls.filter((s) => String(s.attributes['sluice.record.id']).startsWith('ok-'));
  assert.equal(ok.length, 8);
  for (const call of ok) {
    assert.equal(call.status.code, 0, 'success leaves the status unset');
    assert.ok(Number(call.attributes['gen_ai.usage.input_tokens']) > 0);
    assert.ok(Number(call.attributes['gen_ai.usage.output_tokens']) > 0);
    assert.equal(call.attributes['sluice.attempt.count'], 1);
  }
  const bad = calls.find((s) => s.attributes['sluice.record.id'] === 'bad-400')!;
  assert.equal(bad.status.code, 2, 'STATUS_CODE_ERROR');
  assert.equal(bad.attributes['error.type'], 'bad_request');
  assert.equal(bad.attributes['sluice.attempt.count'], 1);
  const flaky = calls.find((s) => s.attributes['sluice.record.id'] === 'flaky-500')!;
  assert.equal(flaky.attributes['error.type'], 'server_error');
  assert.equal(flaky.attributes['sluice.attempt.count'], 2);
  assert.equal(flaky.events.filter((e) => e.name === 'sluice.retry').length, 1);
  const flakyAttempts = spans.filter((s) => s.parentSpanId === flaky.spanId && s.name === 'sluice.attempt');
  assert.deepEqual(
    flakyAttempts.map((s) => s.attributes['http.response.status_code']),
    [500, 500],
  );

  // One trace per model call, each linked to the run span `sluice run {pipeline}`, which carries the final counts:
  // a million-record job makes a million small traces, not one trace nobody can open.
  const runSpan = spans.find((s) => s.name === 'sluice run review-insights');
  assert.ok(runSpan, 'the run span was exported');
  assert.equal(runSpan.parentSpanId, undefined);
  assert.equal(new Set(calls.map((c) => c.traceId)).size, calls.length, 'a trace per call');
  for (const call of calls) {
    assert.notEqual(call.traceId, runSpan.traceId);
    assert.equal(call.parentSpanId, undefined);
    assert.deepEqual(
      call.links.map((l) => [l.spanId, l.attributes['sluice.link.kind']]),
      [[runSpan.spanId, 'run']],
    );
  }
  assert.equal(runSpan.attributes['sluice.records.in'], 10);
  assert.equal(runSpan.attributes['sluice.records.dead_lettered'], 2);

  const metrics = receiver.metrics.filter((m) => m.resource['service.name'] === 'sluice-cli-it');
  const recordsOut = metrics.filter((m) => m.name === 'sluice.records.out').flatMap((m) => m.points);
  assert.equal(Math.max(...recordsOut.map((p) => p.value ?? 0)), 8, 'run metrics: the final records-out count arrived');
  const durations = metrics.filter((m) => m.name === 'gen_ai.client.operation.duration').flatMap((m) => m.points);
  assert.equal(
    durations.reduce((n, p) => n + (p.count ?? 0), 0),
    10,
    'one duration sample per logical call',
  );
  const latency = metrics.filter((m) => m.name === 'sluice.model.latency').flatMap((m) => m.points);
  assert.equal(
    latency.reduce((n, p) => n + (p.count ?? 0), 0),
    11,
    'one latency sample per attempt',
  );

  const everything = receiver.rawBodies.join('\n');
  assert.ok(everything.length > 0);
  assert.equal(everything.includes(FAKE_KEY), false, 'the API key was exported');
  assert.equal(everything.includes('SECRET-PROMPT'), false, 'prompt text was exported without --record-content');
});

test('--record-content puts the prompt and the answer on the call span', async () => {
  const input = join(dir, 'content.jsonl');
  await writeFile(input, `${JSON.stringify({ id: 'c-1', text: 'Great blender CONTENT-MARKER' })}\n`);
  const { code, stderr } = await sluiceRun(
    ['-i', input, '-o', join(dir, 'content-out.jsonl'), '--record-content'],
    otelEnv('sluice-cli-content'),
  );
  assert.equal(code, 0, stderr);
  const call = receiver.spans.find(
    (s) => s.resource['service.name'] === 'sluice-cli-content' && s.name === 'chat gpt-4o-mini',
  );
  assert.ok(call);
  const messages = JSON.parse(String(call.attributes['gen_ai.input.messages'])) as Array<{
    role: string;
    parts: Array<{ content: string }>;
  }>;
  assert.deepEqual(
    messages.map((m) => m.role),
    ['system', 'user'],
    'each message with its own role',
  );
  assert.match(messages[1]!.parts[0]!.content, /CONTENT-MARKER/);
  assert.match(String(call.attributes['gen_ai.output.messages']), /sentiment/);
  assert.equal(receiver.rawBodies.join('\n').includes(FAKE_KEY), false);
});
