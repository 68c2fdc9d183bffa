import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { PipelineSchema, type PipelineConfig } from '../../../src/config/pipeline-schema.ts';
import {
  createEnvelope,
  isNotStarted,
  withFailure,
  type GatedEnvelope,
  type OkEnvelope,
} from '../../../src/core/envelope.ts';
import { JobStop } from '../../../src/core/errors.ts';
import { RunStats } from '../../../src/core/run-stats.ts';
import { collect } from '../../../src/core/stage.ts';
import { FixedLimiter } from '../../../src/limiter/fixed-limiter.ts';
import {
  ModelCallError,
  type ModelClient,
  type ModelRequest,
  type ModelResponse,
} from '../../../src/llm/model-client.ts';
import { llmMap, type OutputRecord } from '../../../src/stages/llm-map.ts';
import { okValue } from '../../support/ok-value.ts';

const pipeline: PipelineConfig = PipelineSchema.parse({
  name: 't',
  model: { name: 'm', maxTokens: 50 },
  input: { keep: ['rating'] },
  prompt: { system: 'Classify.', user: 'Review: {text}' },
  output: {
    schema: {
      type: 'object',
      properties: { sentiment: { type: 'string', enum: ['positive', 'negative'] } },
      required: ['sentiment'],
    },
  },
  retries: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
});

function envelope(
  i: number,
  value: Record<string, unknown> = { text: `review ${i}`, rating: i },
): OkEnvelope<Record<string, unknown>> {
  return createEnvelope({ id: `r${i}`, value, meta: { kind: 'memory', index: i } });
}

function response(raw: string, extra: Partial<ModelResponse> = {}): ModelResponse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    void error; // deliberately malformed answers
  }
  return {
    raw,
    parsed,
    usage: { inputTokens: 10, outputTokens: 3 },
    model: 'm-2026',
    finishReason: 'stop',
    headers: {},
    latencyMs: 5,
    ...extra,
  };
}

/** A source that counts how many records were pulled from it. */
function countingSource(items: OkEnvelope<Record<string, unknown>>[]) {
  const counter = { pulled: 0 };
  async function* generate() {
    for (const item of items) {
      counter.pulled++;
      yield item;
    }
  }
  return { counter, source: generate() };
}

/** A client whose calls stay pending until the test settles them; counts concurrency. */
function deferredClient() {
  const pending = new Map<string, (r: ModelResponse) => void>();
  const stats = { active: 0, maxActive: 0, calls: 0 };
  const client: ModelClient = {
    model: 'm',
    provider: 'test',
    call(request: ModelRequest) {
      stats.calls++;
      stats.active++;
      stats.maxActive = Math.max(stats.maxActive, stats.active);
      return new Promise<ModelResponse>((resolve) => {
        pending.set(request.recordIds[0]!, (r) => {
          stats.active--;
          resolve(r);
        });
      });
    },
  };
  const settle = (id: string, raw = '{"sentiment":"positive"}') => {
    const resolve = pending.get(id);
    assert.ok(resolve, `no pending call for ${id}`);
    pending.delete(id);
    resolve(response(raw));
  };
  return { client, pending, stats, settle };
}

function scripted(answers: (ModelResponse | Error)[]) {
  const requests: ModelRequest[] = [];
  const client: ModelClient = {
    model: 'm',
    provider: 'test',
    async call(request) {
      requests.push(request);
      const next = answers[Math.min(requests.length - 1, answers.length - 1)]!;
      if (next instanceof Error) throw next;
      return next;
    },
  };
  return { client, requests };
}

const flush = async (rounds = 10) => {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
};
const ctx = () => ({ signal: new AbortController().signal });
const noSleep = async () => {};

function stage(client: ModelClient, options: { limiter?: FixedLimiter; ordered?: boolean; window?: number } = {}) {
  const limiter = options.limiter ?? new FixedLimiter(4);
  return llmMap({
    pipeline,
    client,
    limiter,
    stats: new RunStats(),
    ordered: options.ordered,
    window: options.window,
    sleep: noSleep,
    random: () => 0,
  });
}

test('maps records to flat output records in input order', async () => {
  const { client, requests } = scripted([response('{"sentiment":"positive"}')]);
  const out = await collect(
    stage(client)(
      (async function* () {
        for (let i = 1; i <= 3; i++) yield envelope(i);
      })(),
      ctx(),
    ),
  );
  assert.deepEqual(
    out.map((e) => e.id),
    ['r1', 'r2', 'r3'],
  );
  const first = okValue(out[0]!);
  assert.deepEqual(
    { ...first, latencyMs: 0 },
    {
      id: 'r1',
      rating: 1,
      result: { sentiment: 'positive' },
      usage: { inputTokens: 10, outputTokens: 3 },
      model: 'm-2026',
      attempts: 1,
      latencyMs: 0,
    },
  );
  assert.equal(out[0]!.failure, undefined);
  assert.deepEqual(requests[0]!.messages, [
    { role: 'system', content: 'Classify.' },
    { role: 'user', content: 'Review: review 1' },
  ]);
  assert.equal(requests[0]!.maxTokens, 50);
  assert.equal(requests[0]!.schemaName, 'result');
});

test('missing fields dead-letter without a call; earlier failures pass through in place', async () => {
  const { client, requests } = scripted([response('{"sentiment":"negative"}')]);
  const failed = withFailure(envelope(2), {
    stage: 'parse',
    reason: 'invalid_json',
    message: 'bad',
    retriable: false,
    attempts: [],
  });
  const out = await collect(
    stage(client)(
      (async function* () {
        yield envelope(1, { text: '' });
        yield failed;
        yield envelope(3);
      })(),
      ctx(),
    ),
  );
  assert.deepEqual(
    out.map((e) => [e.id, e.failure?.reason]),
    [
      ['r1', 'missing_field'],
      ['r2', 'invalid_json'],
      ['r3', undefined],
    ],
  );
  assert.equal(out[0]!.failure?.stage, 'llm-map');
  assert.match(out[0]!.failure!.message, /"text"/);
  assert.equal(out[1], failed);
  assert.equal(requests.length, 1);
});

test('an invalid answer is re-asked once with the error, then accepted', async () => {
  const { client, requests } = scripted([response('{"sentiment":"meh"}'), response('{"sentiment":"negative"}')]);
  const [out] = await collect(
    stage(client)(
      (async function* () {
        yield envelope(1);
      })(),
      ctx(),
    ),
  );
  assert.deepEqual(okValue(out!).result, { sentiment: 'negative' });
  assert.equal(okValue(out!).attempts, 2);
  assert.deepEqual(okValue(out!).usage, { inputTokens: 20, outputTokens: 6 });
  const reask = requests[1]!.messages;
  assert.equal(reask.length, 2, "one system turn with the correction, then the record's own user turn");
  assert.equal(reask[0]!.role, 'system');
  assert.match(
    reask[0]!.content,
    /^Classify\.\n\nYour previous answer to the request below was invalid: sentiment: Invalid option/,
  );
  assert.match(reask[0]!.content, /The invalid answer was: \{"sentiment":"meh"\}/);
  assert.deepEqual(reask[1], requests[0]!.messages[1], 'the user turn is last and verbatim');
  assert.ok(requests[1]!.promptTokenEstimate > requests[0]!.promptTokenEstimate);
});

test('still invalid after the re-ask: invalid_output dead letter with the raw answer and both attempts', async () => {
  const { client, requests } = scripted([response('{"sentiment":'), response('not json', { finishReason: 'length' })]);
  const [out] = await collect(
    stage(client)(
      (async function* () {
        yield envelope(1);
      })(),
      ctx(),
    ),
  );
  assert.equal(requests.length, 2);
  assert.match(requests[1]!.messages[0]!.content, /not valid JSON/);
  const failure = out!.failure!;
  assert.equal(failure.reason, 'invalid_output');
  assert.equal(failure.retriable, false);
  assert.equal(failure.rawAnswer, 'not json');
  assert.match(failure.message, /cut off at max_tokens \(50\)/);
  assert.deepEqual(
    failure.attempts.map((a) => a.reason),
    ['invalid_output', 'invalid_output'],
  );
  assert.deepEqual(out!.value, { text: 'review 1', rating: 1 }, 'the input value is kept for the dead letter');
});

test('retriable errors are retried through the retry layer; permanent ones dead-letter with every attempt', async () => {
  const e500 = new ModelCallError('500 boom', { status: 500 });
  const { client } = scripted([e500, response('{"sentiment":"positive"}')]);
  const [ok] = await collect(
    stage(client)(
      (async function* () {
        yield envelope(1);
      })(),
      ctx(),
    ),
  );
  assert.equal(okValue(ok!).attempts, 2);

  const { client: bad } = scripted([new ModelCallError('400 bad', { status: 400 })]);
  const [dead] = await collect(
    stage(bad)(
      (async function* () {
        yield envelope(1);
      })(),
      ctx(),
    ),
  );
  assert.equal(dead!.failure?.reason, 'bad_request');
  assert.equal(dead!.failure?.attempts.length, 1);
  assert.equal(dead!.failure?.attempts[0]?.status, 400);
});

test('quota exhaustion stops the stage with JobStop', async () => {
  const { client } = scripted([new ModelCallError('429 quota', { status: 429, providerCode: 'insufficient_quota' })]);
  await assert.rejects(
    collect(
      stage(client)(
        (async function* () {
          yield envelope(1);
          yield envelope(2);
        })(),
        ctx(),
      ),
    ),
    JobStop,
  );
});

test('ordered: the head of line holds, the source is never read more than the window ahead', async () => {
  const fake = deferredClient();
  const { counter, source } = countingSource(Array.from({ length: 10 }, (_, i) => envelope(i + 1)));
  const iterator = stage(fake.client, { limiter: new FixedLimiter(4), window: 4 })(source, ctx())[
    Symbol.asyncIterator
  ]();
  const first = iterator.next();
  await flush();
  assert.equal(counter.pulled, 4);
  assert.equal(fake.stats.active, 4);
  for (const id of ['r2', 'r3', 'r4']) fake.settle(id);
  await flush();
  assert.equal(counter.pulled, 4, 'finished records behind an unfinished head take window space');
  fake.settle('r1');
  assert.equal((await first).value?.id, 'r1');
  // The consumer has not asked for more: the generator is suspended, so nothing more is read.
  await flush();
  assert.equal(counter.pulled, 4);
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push((await iterator.next()).value?.id);
  assert.deepEqual(ids, ['r2', 'r3', 'r4']);
  await flush();
  assert.ok(counter.pulled <= 4 + 4, `pulled ${counter.pulled}`);
  await iterator.return?.(undefined);
});

test('unordered: records are emitted as they finish and the window bounds records in progress', async () => {
  const fake = deferredClient();
  const { counter, source } = countingSource(Array.from({ length: 6 }, (_, i) => envelope(i + 1)));
  const iterator = stage(fake.client, { window: 3, ordered: false })(source, ctx())[Symbol.asyncIterator]();
  const first = iterator.next();
  await flush();
  assert.equal(counter.pulled, 3);
  fake.settle('r3');
  assert.equal((await first).value?.id, 'r3');
  const second = iterator.next();
  await flush();
  assert.equal(counter.pulled, 4);
  assert.equal(fake.stats.active, 3);
  fake.settle('r4');
  assert.equal((await second).value?.id, 'r4');
  for (const id of ['r1', 'r2']) fake.settle(id);
  const rest: string[] = [];
  const drain = (async () => {
    for (;;) {
      const r = await iterator.next();
      if (r.done) return;
      rest.push(r.value.id);
    }
  })();
  await flush();
  for (const id of ['r5', 'r6']) fake.settle(id);
  await drain;
  assert.deepEqual(rest.sort(), ['r1', 'r2', 'r5', 'r6']);
  assert.equal(fake.stats.maxActive, 3);
});

test('counted concurrency never exceeds the limiter, and a live resize takes effect', async () => {
  const fake = deferredClient();
  const limiter = new FixedLimiter(2, 8);
  const { source } = countingSource(Array.from({ length: 12 }, (_, i) => envelope(i + 1)));
  const outputs: GatedEnvelope<OutputRecord>[] = [];
  const done = (async () => {
    for await (const e of stage(fake.client, { limiter, window: 8 })(source, ctx())) outputs.push(e);
  })();
  await flush();
  assert.equal(fake.stats.active, 2);
  limiter.setLimit(5);
  await flush();
  assert.equal(fake.stats.active, 5, 'grown live');
  let settled = 0;
  while (settled < 12) {
    const [id] = [...fake.pending.keys()];
    if (id === undefined) {
      await flush();
      continue;
    }
    fake.settle(id);
    settled++;
    await flush(2);
  }
  await done;
  assert.equal(fake.stats.maxActive, 5);
  assert.deepEqual(
    outputs.map((e) => e.id),
    Array.from({ length: 12 }, (_, i) => `r${i + 1}`),
  );
});

test('an abort of the job signal tears the stage down and cancels the calls in progress', async () => {
  const controller = new AbortController();
  const seen: AbortSignal[] = [];
  const client: ModelClient = {
    model: 'm',
    provider: 'test',
    call: (request) =>
      new Promise((_, reject) => {
        seen.push(request.signal);
        request.signal.addEventListener('abort', () => reject(new ModelCallError('aborted', { transport: 'aborted' })));
      }),
  };
  const running = collect(
    stage(client)(
      (async function* () {
        yield envelope(1);
        yield envelope(2);
      })(),
      { signal: controller.signal },
    ),
  );
  await flush();
  assert.equal(seen.length, 2);
  controller.abort(new Error('SIGINT'));
  await assert.rejects(running, /SIGINT/);
  assert.ok(seen.every((s) => s.aborted));
});

test('each record waits and calls on signals of its own, so the window adds no listeners to one shared signal; closing the gate still stops the waits', async () => {
  const { AdmissionGate } = await import('../../../src/core/admission-gate.ts');
  const waitSignals: AbortSignal[] = [];
  // Never admits: every record of the window waits for a permit, listening on its wait signal, until it aborts.
  const holding = {
    limit: 1,
    maxLimit: 1,
    acquire: (_cost: unknown, signal: AbortSignal) =>
      new Promise<never>((_, reject) => {
        waitSignals.push(signal);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
    pauseUntil() {},
  } as unknown as FixedLimiter;
  const gate = new AdmissionGate();
  const records = Array.from({ length: 300 }, (_, i) => envelope(i));
  const llm = llmMap({
    pipeline,
    client: scripted([response('{"sentiment":"positive"}')]).client,
    limiter: holding,
    stats: new RunStats(),
    window: 300,
    gate,
    sleep: noSleep,
    random: () => 0,
  });
  const running = collect(
    llm(
      (async function* () {
        yield* records;
      })(),
      ctx(),
    ),
  );
  await flush(30);
  assert.equal(waitSignals.length, 300);
  assert.equal(new Set(waitSignals).size, 300, 'one wait signal per record');
  for (const signal of waitSignals) assert.equal(getEventListeners(signal, 'abort').length, 1);
  gate.close('test');
  const out = await running;
  assert.equal(out.length, 300);
  assert.ok(out.every((e) => isNotStarted(e) && e.failure === undefined));
});
