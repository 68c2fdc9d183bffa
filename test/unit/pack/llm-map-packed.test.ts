/**
 * llm-map-packed with a scripted client (no network, no timers): packs of k in one request, the answer split by
 * id, faulty items retried alone and attributed to their own records, input order kept, usage shared exactly.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PipelineSchema, type PipelineConfig } from '../../../src/config/pipeline-schema.ts';
import { createEnvelope, isNotStarted, type Envelope } from '../../../src/core/envelope.ts';
import { ConfigError } from '../../../src/core/errors.ts';
import { RunStats } from '../../../src/core/run-stats.ts';
import { collect, fromArray } from '../../../src/core/stage.ts';
import { FixedLimiter } from '../../../src/limiter/fixed-limiter.ts';
import {
  ModelCallError,
  type ModelClient,
  type ModelRequest,
  type ModelResponse,
} from '../../../src/llm/model-client.ts';
import { parsePackedUserMessage } from '../../../src/pack/packed-format.ts';
import { llmMapPacked } from '../../../src/stages/llm-map-packed.ts';
import { okValue } from '../../support/ok-value.ts';

const pipeline = (pack: number, system = 'Classify.'): PipelineConfig =>
  PipelineSchema.parse({
    name: 't',
    model: { name: 'm', maxTokens: 50 },
    prompt: { system, user: 'Review: {text}' },
    output: { schema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] } },
    retries: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
    pack,
  });

const envelopes = (n: number): Envelope<Record<string, unknown>>[] =>
  Array.from({ length: n }, (_, i) =>
    createEnvelope({ id: `r${i}`, value: { text: `t${i}` }, meta: { kind: 'memory', index: i } }),
  );

/** The right answer for a record: its index, read from its own text. */
const answerOf = (userText: string) => ({ n: Number(userText.replace('Review: t', '')) });

type Item = { id: string; result: unknown };
function scriptedClient(mangle: (items: Item[], call: number) => Item[] | string = (x) => x) {
  const requests: ModelRequest[] = [];
  const client: ModelClient = {
    model: 'm',
    provider: 'test',
    async call(request) {
      requests.push(request);
      const user = request.messages.at(-1)!.content;
      const packed = parsePackedUserMessage(user);
      let raw: string;
      if (!packed) raw = JSON.stringify(answerOf(user));
      else {
        const out = mangle(
          packed.map((p) => ({ id: p.id, result: answerOf(p.input) })),
          requests.length,
        );
        if (out === 'fail400') throw new ModelCallError('bad', { status: 400 });
        raw = typeof out === 'string' ? out : JSON.stringify({ items: out });
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch (error) {
        void error;
      }
      const response: ModelResponse = {
        raw,
        parsed,
        usage: { inputTokens: 100, outputTokens: 10 },
        model: 'm',
        finishReason: 'stop',
        headers: {},
        latencyMs: 1,
      };
      return response;
    },
  };
  return { client, requests };
}

const neverTimer = { set: () => 0, clear: () => undefined };
const ctx = () => ({ signal: new AbortController().signal });

function run(config: PipelineConfig, client: ModelClient, n: number, stats = new RunStats()) {
  const stage = llmMapPacked({
    pipeline: config,
    client,
    limiter: new FixedLimiter(2),
    stats,
    window: 3,
    timer: neverTimer,
    sleep: async () => undefined,
    random: () => 0,
  });
  return collect(stage(fromArray(envelopes(n)), ctx()));
}

test('packs of k in one request each; every record its own answer, in order; usage shared exactly', async () => {
  const { client, requests } = scriptedClient((items) => [...items].reverse());
  const stats = new RunStats();
  const out = await run(pipeline(4), client, 10, stats);
  assert.deepEqual(
    out.map((e) => e.id),
    envelopes(10).map((e) => e.id),
  );
  out.forEach((e, i) => assert.deepEqual(okValue(e).result, { n: i }));
  assert.equal(requests.length, 3, '4 + 4 + 2');
  assert.deepEqual(
    requests.map((r) => r.recordIds.length),
    [4, 4, 2],
  );
  assert.deepEqual(
    requests.map((r) => r.maxTokens),
    [200, 200, 100],
    'max_tokens is k × the per-record max',
  );
  assert.equal(requests[0]!.messages[0]!.content, 'Classify.');
  assert.equal(
    out.reduce((a, e) => a + okValue(e).usage.inputTokens, 0),
    300,
  );
  assert.equal(
    out.reduce((a, e) => a + okValue(e).usage.outputTokens, 0),
    30,
  );
  assert.equal(stats.inputTokens, 300);
  assert.ok(out.every((e) => (okValue(e).usage as { shared?: boolean }).shared === true));
});

test('missing, duplicated, invalid and foreign items: only those records are retried alone, each with its own answer', async () => {
  const { client, requests } = scriptedClient((items, call) => {
    if (call > 1) return items;
    const [a, _b, c, d, e] = items as [Item, Item, Item, Item, Item];
    // a ok; b missing; c duplicated; d invalid; e answered twice under wrong ids; plus an unknown id
    return [a, c, c, { id: d.id, result: { n: 'x' } }, { id: 'zz', result: e.result }, e];
  });
  const out = await run(pipeline(5), client, 5);
  out.forEach((e, i) => assert.deepEqual(okValue(e).result, { n: i }, e.id));
  assert.equal(requests.length, 1 + 3, 'one packed call, then r1, r2, r3 alone');
  assert.deepEqual(
    requests
      .slice(1)
      .map((r) => r.recordIds[0])
      .sort(),
    ['r1', 'r2', 'r3'],
  );
  assert.equal(okValue(out[0]!).attempts, 1);
  assert.equal(okValue(out[1]!).attempts, 2, 'the packed call and its own');
  assert.equal(
    out.reduce((a, e) => a + okValue(e).usage.inputTokens, 0),
    400,
    'shares plus own calls',
  );
});

test('an unusable packed answer retries every record alone; a packed call that fails for good fails each record', async () => {
  const junk = scriptedClient((items, call) => (call === 1 ? 'not json' : items));
  const out = await run(pipeline(3), junk.client, 3);
  out.forEach((e, i) => assert.deepEqual(okValue(e).result, { n: i }));
  assert.equal(junk.requests.length, 4);

  const failing = scriptedClient(() => 'fail400');
  const failed = await run(pipeline(3), failing.client, 3);
  assert.deepEqual(
    failed.map((e) => e.failure?.reason),
    ['bad_request', 'bad_request', 'bad_request'],
  );
  assert.match(failed[0]!.failure!.message, /packed call \(3 records\)/);
  assert.equal(failing.requests.length, 1, '400 is not retried');
});

test('a pack whose records were all superseded (Kafka rebalance) makes no call; a partly superseded pack is called', async () => {
  const { client, requests } = scriptedClient();
  const records = Array.from({ length: 4 }, (_, i) =>
    createEnvelope({
      id: `r${i}`,
      value: { text: `t${i}` },
      meta: { kind: 'memory', index: i },
      superseded: () => i < 2 || i === 3,
    }),
  );
  const stage = llmMapPacked({
    pipeline: pipeline(2),
    client,
    limiter: new FixedLimiter(2),
    stats: new RunStats(),
    window: 3,
    timer: neverTimer,
    sleep: async () => undefined,
    random: () => 0,
  });
  const out = await collect(stage(fromArray(records), ctx()));
  // Not started is a state of its own, not a failure: no reason, never a dead letter.
  assert.deepEqual(
    out.map((e) => [e.id, isNotStarted(e), e.failure?.reason]),
    [
      ['r0', true, undefined],
      ['r1', true, undefined],
      ['r2', false, undefined],
      ['r3', false, undefined],
    ],
  );
  assert.deepEqual(
    requests.map((r) => r.recordIds),
    [['r2', 'r3']],
  );
});

test('a system prompt that references record fields cannot be packed', () => {
  const { client } = scriptedClient();
  assert.throws(
    () =>
      llmMapPacked({
        pipeline: pipeline(3, 'About {text}'),
        client,
        limiter: new FixedLimiter(1),
        stats: new RunStats(),
      }),
    (error: unknown) => error instanceof ConfigError && /prompt.system/.test(error.message),
  );
});
