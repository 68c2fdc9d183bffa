import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimEngine } from '../../../src/sim/sim-engine.ts';
import { resolveProfile } from '../../../src/sim/profiles.ts';
import type { ChatRequest } from '../../../src/sim/chat-request.ts';

function engine(profile: string, overrides: Record<string, string | number | boolean> = {}, timeScale = 1) {
  let now = 0;
  const e = new SimEngine(resolveProfile(profile, overrides), {
    profileName: profile,
    timeScale,
    seed: 1,
    nowMs: () => now,
  });
  return {
    e,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const req = (over: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'gpt-4o-mini',
  lastUserMessage: 'good quality',
  promptTokens: 250,
  maxTokens: 100,
  stream: false,
  includeUsage: false,
  mode: 'text',
  schema: undefined,
  toolName: undefined,
  ...over,
});

const RATE_HEADERS = [
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-tokens',
];

test('saas-tier1 past its RPM: 429 rate_limit_exceeded with type requests, try-again text, retry-after headers', () => {
  const { e, advance } = engine('saas-tier1', { rpm: 10 });
  for (let i = 0; i < 10; i++) assert.equal(e.admit(req()), undefined);
  const r = e.admit(req());
  assert.ok(r);
  assert.equal(r.status, 429);
  assert.equal(r.delayMs, 30);
  const body = JSON.parse(r.body);
  assert.equal(body.error.code, 'rate_limit_exceeded');
  assert.equal(body.error.type, 'requests');
  assert.equal(body.error.param, null);
  assert.match(
    body.error.message,
    /^Rate limit reached for gpt-4o-mini in organization org-sluice-sim on requests per min \(RPM\): Limit 10, Used 10, Requested 1\. Please try again in 6s\./,
  );
  assert.equal(r.headers['retry-after'], '6');
  assert.equal(r.headers['retry-after-ms'], '6000');
  for (const h of RATE_HEADERS) assert.ok(h in r.headers, h);
  assert.equal(r.headers['x-ratelimit-remaining-requests'], '0');
  assert.equal(r.headers['x-ratelimit-reset-requests'], '1m0s');
  assert.equal(r.headers['x-ratelimit-remaining-tokens'], String(200_000 - 10 * 350));
  advance(6000);
  assert.equal(e.admit(req()), undefined);
  const s = e.stats();
  assert.equal(s.admitted, 11);
  assert.equal(s.rejected.rate_requests, 1);
  assert.equal(s.inFlight, 11);
});

test('time scale: rates × scale in headers, waits ÷ scale', () => {
  const { e } = engine('saas-tier1', { rpm: 10 }, 10);
  for (let i = 0; i < 10; i++) e.admit(req());
  const r = e.admit(req());
  assert.ok(r);
  assert.equal(r.headers['x-ratelimit-limit-requests'], '100');
  assert.equal(r.headers['retry-after-ms'], '600');
  assert.equal(r.delayMs, 3);
  assert.match(JSON.parse(r.body).error.message, /Limit 100, Used 10, Requested 1\. Please try again in 600ms\./);
});

test('tokens limit: type tokens; quota: insufficient_quota', () => {
  const { e } = engine('saas-tier1', { tpm: 1000 });
  assert.equal(e.admit(req({ promptTokens: 400, maxTokens: 400 })), undefined);
  const t = e.admit(req({ promptTokens: 400, maxTokens: 400 }));
  assert.ok(t);
  assert.equal(JSON.parse(t.body).error.type, 'tokens');
  assert.match(
    JSON.parse(t.body).error.message,
    /tokens per min \(TPM\): Limit 1000, Used 800, Requested 800\. Please try again in 36s\./,
  );
  const q = engine('null', { quotaRequests: 1 }).e;
  assert.equal(q.admit(req()), undefined);
  const r = q.admit(req());
  assert.ok(r);
  assert.deepEqual(
    { status: r.status, type: JSON.parse(r.body).error.type, code: JSON.parse(r.body).error.code },
    { status: 429, type: 'insufficient_quota', code: 'insufficient_quota' },
  );
  assert.deepEqual(q.rateHeaders(), {}, 'unlimited profiles send no rate headers');
});

test('capped-overload: the 33rd in flight gets 429 "Model is overloaded" without Retry-After', () => {
  const { e } = engine('capped-overload');
  for (let i = 0; i < 32; i++) assert.equal(e.admit(req()), undefined);
  const r = e.admit(req());
  assert.ok(r);
  assert.equal(r.status, 429);
  assert.deepEqual(JSON.parse(r.body), { error: 'Model is overloaded', error_type: 'overloaded' });
  assert.deepEqual(r.headers, {});
  assert.equal(e.stats().rejected.overloaded, 1);
});

test('vllm: at most maxRunning run, the rest wait FIFO and start as slots free', async () => {
  const { e } = engine('vllm-gpu', { maxRunning: 2 });
  const started: number[] = [];
  const plans = [];
  for (let i = 0; i < 5; i++) {
    assert.equal(e.admit(req()), undefined);
    const wait = e.waitForSlot();
    if (wait) void wait.then(() => started.push(i));
    else started.push(i);
  }
  assert.deepEqual(started, [0, 1]);
  assert.equal(e.stats().waiting, 3);
  for (let i = 0; i < 3; i++) {
    const plan = e.plan(req(), {});
    plans.push(plan);
    e.finish(plan, false);
    await Promise.resolve();
  }
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  assert.equal(e.stats().completed, 3);
  assert.equal(e.stats().maxWaiting, 3);
});

test('directives force latency, status and faults', () => {
  const { e } = engine('null');
  e.admit(req());
  const slow = e.plan(req(), { latencyMs: 40_000 });
  assert.equal(slow.totalMs, 40_000);
  const failing = e.plan(req(), { status: 503 });
  assert.equal(failing.error?.status, 503);
  assert.equal(failing.error?.headers['retry-after'], '1');
  const cut = e.plan(req({ mode: 'json_schema', schema: { type: 'object', properties: { a: { type: 'string' } } } }), {
    fault: 'truncate',
  });
  assert.equal(cut.finishReason, 'length');
  const reset = e.plan(req(), { reset: true });
  assert.equal(reset.reset, true);
});

test('vllm: the plan uses the number running now, and the time scale divides the real delay', () => {
  for (const [running, timeScale] of [
    [1, 1],
    [16, 1],
    [48, 1],
    [48, 50],
  ] as const) {
    const { e } = engine('vllm-gpu', { error500Rate: 0 }, timeScale);
    for (let i = 0; i < running; i++) {
      assert.equal(e.admit(req({ maxTokens: undefined })), undefined);
      assert.equal(e.waitForSlot(), undefined);
    }
    let sum = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) sum += e.plan(req({ maxTokens: undefined }), {}).totalMs;
    const formulaMs = ((0.06 + 100 / 80) * (1 + running / 33) * 1000) / timeScale;
    const mean = sum / n;
    assert.ok(
      Math.abs(mean - formulaMs) < 0.05 * formulaMs,
      `n=${running} ×${timeScale}: ${mean.toFixed(1)} ms vs ${formulaMs.toFixed(1)} ms`,
    );
  }
});

test('usage.completion_tokens is the k the latency was drawn for, so latency per reported token is steady (vllm-gpu)', () => {
  const { e } = engine('vllm-gpu');
  const perToken: number[] = [];
  for (let i = 0; i < 50; i++) {
    assert.equal(e.admit(req({ maxTokens: 256 })), undefined);
    assert.equal(e.waitForSlot(), undefined, 'one request at a time: a free run slot');
    const plan = e.plan(req({ maxTokens: 256 }), {});
    e.finish(plan, false);
    assert.ok(plan.completionTokens >= Math.ceil(plan.text.length / 4), 'never fewer than the answer has');
    perToken.push(plan.totalMs / plan.completionTokens);
  }
  // L = (0.06 s + k/80 tok/s)·(1 + 1/33) per request: per token 12.9–16 ms for any k ≥ 20. The answer's own
  // tokens (a short text) gave a spread of several times.
  assert.ok(
    Math.max(...perToken) / Math.min(...perToken) < 1.25,
    `per-token latency ${Math.min(...perToken).toFixed(2)}–${Math.max(...perToken).toFixed(2)} ms`,
  );
});

test('stats stamp when the first request arrived (wall clock), and a reset clears it', () => {
  const { e } = engine('null');
  assert.equal(e.stats().firstRequestAt, null);
  const before = Date.now();
  e.admit(req());
  const first = e.stats().firstRequestAt;
  assert.ok(first !== null && first >= before && first <= Date.now(), String(first));
  e.admit(req());
  assert.equal(e.stats().firstRequestAt, first);
  e.reset();
  assert.equal(e.stats().firstRequestAt, null);
  e.countBadRequest();
  assert.notEqual(e.stats().firstRequestAt, null);
});
