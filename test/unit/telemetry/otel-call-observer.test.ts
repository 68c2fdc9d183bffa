import assert from 'node:assert/strict';
import { test } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { RunStats } from '../../../src/core/run-stats.ts';
import type { CallCost, Limiter, Permit } from '../../../src/limiter/limiter.ts';
import { executeCall, type ExecuteCallDeps } from '../../../src/llm/execute-call.ts';
import type { ModelClient, ModelRequest, ModelResponse } from '../../../src/llm/model-client.ts';
import { createRetryBudget } from '../../../src/llm/retry-budget.ts';
import { createOtelCallObserver, parseServerAddress } from '../../../src/telemetry/otel-call-observer.ts';
import { http, okResponse } from '../llm/fakes.ts';
import { childrenOf, durationMs, enableContext, exportedText, hrMs, memoryTracing } from './otel-test-kit.ts';

enableContext();

const FAKE_KEY = 'sk-test-FAKEKEY0123456789abcdefDEADBEEF';
const PROMPT = 'Review: the blender exploded PROMPT-MARKER-7f3a';

/** A limiter that makes every acquire wait `waitMs` on the shared fake clock. */
class WaitingLimiter implements Limiter {
  inFlight = 0;
  limit = 8;
  maxLimit = 8;
  constructor(
    private readonly clock: { t: number },
    private readonly waitMs: number,
  ) {}
  async acquire(_cost: CallCost): Promise<Permit> {
    this.clock.t += this.waitMs;
    this.inFlight++;
    return { release: () => void this.inFlight-- };
  }
  pauseUntil(): void {}
}

/** A client that answers each call with the next step and advances the clock by the step's latency. */
function client(
  clock: { t: number },
  steps: (ModelResponse | Error)[],
  seen: { activeSpanIds: string[] },
): ModelClient {
  let calls = 0;
  return {
    model: 'gpt-4o-mini',
    provider: 'openai',
    async call() {
      const step = steps[Math.min(calls++, steps.length - 1)]!;
      seen.activeSpanIds.push(trace.getActiveSpan()?.spanContext().spanId ?? 'none');
      clock.t += step instanceof Error ? 30 : step.latencyMs;
      if (step instanceof Error) throw step;
      return step;
    },
  };
}

function request(): ModelRequest {
  return {
    recordIds: ['rev-42'],
    messages: [{ role: 'user', content: PROMPT }],
    schema: { type: 'object' },
    schemaName: 'insight',
    maxTokens: 200,
    promptTokenEstimate: 20,
    signal: new AbortController().signal,
  };
}

async function drive(
  steps: (ModelResponse | Error)[],
  options: { waitMs?: number; recordContent?: boolean; attemptSpans?: 'all' | 'retried'; waitSpans?: boolean } = {},
) {
  const tracing = memoryTracing();
  const clock = { t: 1_700_000_000_000 };
  const seen = { activeSpanIds: [] as string[] };
  const observer = createOtelCallObserver({
    tracer: tracing.tracer,
    now: () => clock.t,
    serverAddress: 'https://user:pw@api.example.com/v1?key=x',
    recordContent: options.recordContent,
    attemptSpans: options.attemptSpans,
    waitSpans: options.waitSpans,
  });
  const deps: ExecuteCallDeps = {
    client: client(clock, steps, seen),
    limiter: new WaitingLimiter(clock, options.waitMs ?? 250),
    observer,
    retries: { maxAttempts: 4, budgetRatio: 0.2, baseDelayMs: 100, maxDelayMs: 1000 },
    budget: createRetryBudget({ ratio: 0.2, floor: 10 }),
    stats: new RunStats(),
    sleep: async (ms) => void (clock.t += ms),
    random: () => 0.5,
    now: () => clock.t,
  };
  const root = tracing.tracer.startSpan('sluice run test');
  const result = await context.with(trace.setSpan(context.active(), root), () => executeCall(request(), deps));
  root.end();
  const spans = tracing.spans();
  const call = spans.filter((s) => s.name === 'chat gpt-4o-mini');
  assert.equal(call.length, 1, 'exactly one logical call span');
  return { result, spans, call: call[0]!, root, seen, children: childrenOf(spans, call[0]!) };
}

test('success: one CLIENT span `chat {model}` in its own trace linked to the active span, GenAI attributes, the limiter wait apart', async () => {
  const { result, call, root, children, seen } = await drive([
    okResponse('{"ok":true}', {
      latencyMs: 400,
      model: 'gpt-4o-mini-2024-07-18',
      usage: { inputTokens: 31, outputTokens: 12 },
    }),
  ]);
  assert.equal(result.ok, true);
  assert.equal(call.kind, SpanKind.CLIENT);
  assert.equal(call.parentSpanContext, undefined, 'a trace of its own');
  assert.notEqual(call.spanContext().traceId, root.spanContext().traceId);
  assert.deepEqual(
    call.links.map((l) => [l.context.spanId, l.attributes?.['sluice.link.kind']]),
    [[root.spanContext().spanId, 'run']],
  );
  assert.equal(call.status.code, SpanStatusCode.UNSET);
  assert.deepEqual(
    { ...call.attributes },
    {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.max_tokens': 200,
      'gen_ai.output.type': 'json',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 31,
      'gen_ai.usage.output_tokens': 12,
      'server.address': 'api.example.com',
      'server.port': 443,
      'http.response.status_code': 200,
      'sluice.schema.name': 'insight',
      'sluice.record.id': 'rev-42',
      'sluice.attempt.count': 1,
      'sluice.limiter.wait_ms': 250,
      'sluice.model.time_ms': 400,
    },
  );
  // A call that succeeded at once is its own attempt, and the wait is an event: one span per record by default.
  assert.deepEqual(
    children.map((s) => s.name),
    [],
  );
  assert.deepEqual(
    call.events.map((e) => [e.name, { ...e.attributes }, hrMs(e.time) - hrMs(call.startTime)]),
    [['sluice.limiter.wait', { 'sluice.limiter.wait_ms': 250 }, 250]],
    'the limiter wait is marked where it ended, apart from model time',
  );
  assert.equal(durationMs(call), 650, 'the call span covers wait + model time');
  assert.deepEqual(
    seen.activeSpanIds,
    [call.spanContext().spanId],
    'run(fn) makes the call span active for the HTTP work',
  );
});

test("attemptSpans 'all' + waitSpans: the wait and the single successful attempt get child spans too", async () => {
  const { call, children } = await drive([okResponse('{"ok":true}', { latencyMs: 400 })], {
    attemptSpans: 'all',
    waitSpans: true,
  });
  assert.deepEqual(
    children.map((s) => s.name),
    ['sluice.limiter.wait', 'sluice.attempt'],
  );
  const wait = children[0]!;
  assert.equal(durationMs(wait), 250, 'the limiter wait is its own span, apart from model time');
  assert.equal(wait.attributes['sluice.limiter.wait_ms'], 250);
  assert.deepEqual(call.events, []);
  const attempt = children[1]!;
  assert.equal(durationMs(attempt), 400);
  assert.equal(attempt.attributes['sluice.attempt.number'], 1);
  assert.equal(attempt.attributes['sluice.limiter.wait_ms'], 250);
  assert.equal(attempt.attributes['http.response.status_code'], 200);
  assert.equal(attempt.status.code, SpanStatusCode.UNSET);
  assert.equal(call.attributes['sluice.attempt.count'], 1);
});

test('parentContext: call spans link to the given context even when another span is active', async () => {
  const tracing = memoryTracing();
  const run = tracing.tracer.startSpan('sluice run p');
  const other = tracing.tracer.startSpan('other');
  const observer = createOtelCallObserver({
    tracer: tracing.tracer,
    parentContext: trace.setSpan(context.active(), run),
  });
  context.with(trace.setSpan(context.active(), other), () => {
    observer
      .startCall({ model: 'm', provider: 'p', recordIds: ['r'], schemaName: 's', maxTokens: 1 })
      .end({ ok: true, attempts: 1 });
  });
  const call = tracing.named('chat m')[0]!;
  assert.equal(call.parentSpanContext, undefined);
  assert.deepEqual(
    call.links.map((l) => l.context.spanId),
    [run.spanContext().spanId],
  );
});

test('a record carrying a traceparent (Kafka) continues the upstream trace; the run span becomes a link', () => {
  const tracing = memoryTracing();
  const run = tracing.tracer.startSpan('sluice run p');
  const observer = createOtelCallObserver({
    tracer: tracing.tracer,
    parentContext: trace.setSpan(context.active(), run),
  });
  const upstream = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
  const traceHeaders = { traceparent: `00-${upstream.traceId}-${upstream.spanId}-01` };
  observer
    .startCall({ model: 'm', provider: 'p', recordIds: ['r'], schemaName: 's', maxTokens: 1, traceHeaders })
    .end({ ok: true, attempts: 1 });
  const call = tracing.named('chat m')[0]!;
  assert.equal(call.spanContext().traceId, upstream.traceId);
  assert.equal(call.parentSpanContext?.spanId, upstream.spanId);
  assert.deepEqual(
    call.links.map((l) => l.context.spanId),
    [run.spanContext().spanId],
  );

  observer
    .startCall({
      model: 'm2',
      provider: 'p',
      recordIds: ['r2'],
      schemaName: 's',
      maxTokens: 1,
      traceHeaders: { traceparent: 'garbage' },
    })
    .end({ ok: true, attempts: 1 });
  const plain = tracing.named('chat m2')[0]!;
  assert.equal(plain.parentSpanContext, undefined, 'an invalid traceparent: a trace of its own');
  assert.notEqual(plain.spanContext().traceId, upstream.traceId);
  assert.deepEqual(
    plain.links.map((l) => l.context.spanId),
    [run.spanContext().spanId],
  );
});

test('retry then success: one call span covering both attempts, a failed attempt child with reason and backoff', async () => {
  const err500 = http(500, { error: { message: 'The server had an error', type: 'server_error' } });
  const { result, call, children } = await drive([err500, okResponse('{"ok":true}', { latencyMs: 100 })], {
    waitMs: 10,
  });
  assert.equal(result.ok, true);
  assert.equal(call.status.code, SpanStatusCode.UNSET);
  assert.equal(call.attributes['error.type'], undefined);
  assert.equal(call.attributes['sluice.attempt.count'], 2);
  assert.equal(call.attributes['sluice.limiter.wait_ms'], 20);
  assert.equal(call.attributes['sluice.model.time_ms'], 130);
  assert.equal(call.attributes['sluice.retry.backoff_total_ms'], 50);
  assert.deepEqual(
    children.map((s) => s.name),
    ['sluice.attempt', 'sluice.attempt'],
    'a retried call shows every attempt',
  );
  const attempts = children;
  assert.equal(attempts[0]!.status.code, SpanStatusCode.ERROR);
  assert.equal(attempts[0]!.attributes['error.type'], 'server_error');
  assert.equal(attempts[0]!.attributes['http.response.status_code'], 500);
  assert.equal(attempts[0]!.attributes['sluice.retry.backoff_ms'], 50);
  assert.equal(attempts[1]!.status.code, SpanStatusCode.UNSET);
  assert.equal(attempts[1]!.attributes['sluice.attempt.number'], 2);
  assert.equal(attempts[0]!.attributes['sluice.limiter.wait_ms'], 10);
  assert.equal(attempts[1]!.attributes['sluice.limiter.wait_ms'], 10);
  assert.deepEqual(
    call.events.map((e) => [e.name, { ...e.attributes }]),
    [
      ['sluice.limiter.wait', { 'sluice.limiter.wait_ms': 10 }],
      [
        'sluice.retry',
        { 'sluice.attempt.number': 1, 'sluice.retry.reason': 'server_error', 'sluice.retry.backoff_ms': 50 },
      ],
      ['sluice.limiter.wait', { 'sluice.limiter.wait_ms': 10 }],
    ],
  );
  // wait 10 + attempt 30 + backoff 50 + wait 10 + attempt 100
  assert.equal(durationMs(call), 200);
});

test('dead letter: the call span is an error with error.type = the classified reason, one attempt', async () => {
  const bad = http(400, { error: { message: `Invalid request (key ${FAKE_KEY})`, type: 'invalid_request_error' } });
  const { result, call, children } = await drive([bad]);
  assert.equal(result.ok, false);
  assert.equal(call.status.code, SpanStatusCode.ERROR);
  assert.equal(call.attributes['error.type'], result.ok ? undefined : result.reason);
  assert.equal(call.attributes['error.type'], 'bad_request');
  assert.equal(call.attributes['sluice.attempt.count'], 1);
  assert.equal(call.attributes['gen_ai.usage.input_tokens'], undefined);
  const attempts = children.filter((s) => s.name === 'sluice.attempt');
  assert.equal(attempts.length, 1);
  assert.equal(attempts[0]!.attributes['http.response.status_code'], 400);
  assert.equal(attempts[0]!.attributes['sluice.retry.backoff_ms'], undefined);
});

test('no attribute, event or status anywhere carries the API key or, by default, the prompt or answer text', async () => {
  const keyed = http(401, {
    error: { message: `Incorrect API key provided: ${FAKE_KEY}`, type: 'invalid_request_error' },
  });
  const err500 = http(500, { error: { message: `boom ${FAKE_KEY}` } });
  const runs = [
    await drive([okResponse('{"answer":"ANSWER-MARKER-91"}')]),
    await drive([err500, okResponse('{"answer":"ANSWER-MARKER-91"}')]),
    await drive([keyed]),
  ];
  for (const { spans } of runs) {
    const text = exportedText(spans);
    assert.ok(spans.length >= 2, 'the run span and the call span at least');
    assert.equal(text.includes(FAKE_KEY), false, 'API key leaked');
    assert.equal(text.includes('sk-test'), false, 'API key prefix leaked');
    assert.equal(text.includes('PROMPT-MARKER'), false, 'prompt text recorded without opt-in');
    assert.equal(text.includes('ANSWER-MARKER'), false, 'answer text recorded without opt-in');
    assert.equal(text.includes('pw'), false, 'credentials of the server URL leaked');
    assert.equal(text.includes('key=x'), false, 'query of the server URL leaked');
  }
});

test('content is recorded only when the observer opts in AND the caller passes it', async () => {
  const tracing = memoryTracing();
  const info = {
    model: 'm',
    provider: 'openai',
    recordIds: ['a', 'b'],
    schemaName: 's',
    maxTokens: 10,
    content: {
      messages: [
        { role: 'system', content: 'Classify.' },
        { role: 'user', content: PROMPT },
      ],
    },
  };
  const end = { ok: true, attempts: 1, answer: '{"answer":"ANSWER-MARKER-91"}', finishReason: 'stop' };

  const off = createOtelCallObserver({ tracer: tracing.tracer }).startCall(info);
  off.end(end);
  assert.equal(exportedText(tracing.spans()).includes('MARKER'), false);

  tracing.reset();
  const on = createOtelCallObserver({ tracer: tracing.tracer, recordContent: true }).startCall(info);
  on.end(end);
  const span = tracing.spans()[0]!;
  assert.deepEqual(JSON.parse(String(span.attributes['gen_ai.input.messages'])), [
    { role: 'system', parts: [{ type: 'text', content: 'Classify.' }] },
    { role: 'user', parts: [{ type: 'text', content: PROMPT }] },
  ]);
  assert.deepEqual(JSON.parse(String(span.attributes['gen_ai.output.messages'])), [
    { role: 'assistant', parts: [{ type: 'text', content: '{"answer":"ANSWER-MARKER-91"}' }], finish_reason: 'stop' },
  ]);
  assert.deepEqual(span.attributes['sluice.record.ids'], ['a', 'b']);
  assert.equal(span.attributes['sluice.record.count'], 2);
  assert.equal(span.attributes['sluice.record.id'], undefined, 'a packed call has no single record id');
});

test('an attempt left open (abort) is closed as an error when the call ends; hooks after end are ignored', () => {
  const tracing = memoryTracing();
  const scope = createOtelCallObserver({ tracer: tracing.tracer }).startCall({
    model: 'm',
    provider: 'p',
    recordIds: ['r'],
    schemaName: 's',
    maxTokens: 1,
  });
  scope.attemptStarted(1);
  scope.end({ ok: false, attempts: 1, errorType: 'aborted' });
  scope.end({ ok: true, attempts: 9 });
  scope.attemptStarted(2);
  scope.permitWaited(100);
  const spans = tracing.spans();
  assert.deepEqual(spans.map((s) => s.name).sort(), ['chat m', 'sluice.attempt']);
  const attempt = spans.find((s) => s.name === 'sluice.attempt')!;
  assert.equal(attempt.attributes['error.type'], 'aborted');
  assert.equal(spans.find((s) => s.name === 'chat m')!.attributes['sluice.attempt.count'], 1);
});

test('without a registered SDK the observer is a harmless no-op', async () => {
  const scope = createOtelCallObserver().startCall({
    model: 'm',
    provider: 'p',
    recordIds: ['r'],
    schemaName: 's',
    maxTokens: 1,
  });
  scope.permitWaited(5);
  scope.attemptStarted(1);
  scope.attemptEnded({ attempt: 1, latencyMs: 1 });
  assert.equal(await scope.run(async () => 42), 42);
  scope.end({ ok: true, attempts: 1 });
});

test('parseServerAddress keeps host and port only', () => {
  assert.deepEqual(parseServerAddress('http://127.0.0.1:8080/v1'), { address: '127.0.0.1', port: 8080 });
  assert.deepEqual(parseServerAddress('https://u:secret@api.openai.com/v1?k=1'), {
    address: 'api.openai.com',
    port: 443,
  });
  assert.deepEqual(parseServerAddress('localhost:4000'), { address: 'localhost', port: 4000 });
  assert.deepEqual(parseServerAddress('api.openai.com'), { address: 'api.openai.com', port: undefined });
  assert.equal(parseServerAddress('user:pw@host/path'), undefined);
  assert.equal(parseServerAddress('   '), undefined);
});
