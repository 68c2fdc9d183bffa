import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdmissionGate, CallNotStarted, NOT_STARTED } from '../../../src/core/admission-gate.ts';
import { JobStop } from '../../../src/core/errors.ts';
import { RunStats } from '../../../src/core/run-stats.ts';
import { executeCall, type ExecuteCallDeps } from '../../../src/llm/execute-call.ts';
import { ModelCallError, type ModelRequest } from '../../../src/llm/model-client.ts';
import { createRetryBudget } from '../../../src/llm/retry-budget.ts';
import { FailureStreak } from '../../../src/llm/failure-streak.ts';
import { CountingLimiter, http, okResponse, recordingObserver, scriptedClient, type Step } from './fakes.ts';

function request(signal = new AbortController().signal): ModelRequest {
  return {
    recordIds: ['r1'],
    messages: [{ role: 'user', content: 'hi' }],
    schema: { type: 'object' },
    schemaName: 'result',
    maxTokens: 100,
    promptTokenEstimate: 20,
    signal,
  };
}

function setup(steps: Step[], overrides: Partial<ExecuteCallDeps> = {}) {
  const log: string[] = [];
  const client = scriptedClient(steps, log);
  const limiter = new CountingLimiter(log);
  const observer = recordingObserver();
  const stats = new RunStats();
  let clock = 1_000_000;
  const sleeps: number[] = [];
  const deps: ExecuteCallDeps = {
    client,
    limiter,
    observer,
    stats,
    retries: { maxAttempts: 4, budgetRatio: 0.2, baseDelayMs: 100, maxDelayMs: 1000 },
    budget: createRetryBudget({ ratio: 0.2, floor: 10 }),
    sleep: async (ms) => {
      log.push(`sleep:${ms}`);
      sleeps.push(ms);
      clock += ms;
    },
    random: () => 0.5,
    now: () => clock,
    ...overrides,
  };
  return { deps, log, client, limiter, observer, stats, sleeps };
}

const rate429 = (retryAfterMs?: string) =>
  http(
    429,
    { error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } },
    retryAfterMs ? { 'retry-after-ms': retryAfterMs } : {},
  );
const err500 = () => http(500, { error: { message: 'The server had an error', type: 'server_error' } });

test('success on the first attempt: one permit, charged like the provider, stats and hooks', async () => {
  const { deps, limiter, observer, stats, log } = setup([okResponse()]);
  const result = await executeCall(request(), deps);
  assert.equal(result.ok, true);
  assert.equal(result.attempts.length, 1);
  assert.deepEqual(
    limiter.costs,
    [{ requests: 1, tokens: 125 }],
    '20 prompt + 5 for the schema {"type":"object"} + 100 max_tokens',
  );
  assert.deepEqual(log, ['acquire', 'call1', 'release:success']);
  assert.equal(stats.attempts, 1);
  assert.equal(stats.inFlight, 0);
  assert.equal(stats.inputTokens, 10);
  assert.equal(stats.outputTokens, 5);
  assert.equal(stats.latencies.count, 1);
  assert.deepEqual(observer.events, ['start:r1', 'waited:0', 'attempt:1', 'ended:1:ok', 'end:true:1']);
});

test('500 then success: permit released (ignore) before the full-jitter backoff; not congestion', async () => {
  const { deps, log, stats, observer, limiter } = setup([err500(), err500(), okResponse()]);
  const result = await executeCall(request(), deps);
  assert.equal(result.ok, true);
  // random 0.5 × min(1000, 100·2^(n-1)) → 50, then 100
  assert.deepEqual(log, [
    'acquire',
    'call1',
    'release:ignore',
    'sleep:50',
    'acquire',
    'call2',
    'release:ignore',
    'sleep:100',
    'acquire',
    'call3',
    'release:success',
  ]);
  assert.deepEqual(
    limiter.retryFlags,
    [false, false, false],
    'retries after random errors rejoin the back of the queue',
  );
  assert.equal(limiter.pauses.length, 0);
  assert.deepEqual(
    result.attempts.map((a) => [a.status, a.reason, a.backoffMs]),
    [
      [500, 'server_error', 50],
      [500, 'server_error', 100],
      [200, undefined, undefined],
    ],
  );
  assert.equal(stats.retriesByReason.get('server_error'), 2);
  assert.equal(stats.attempts, 3);
  assert.equal(stats.retrying, 0);
  assert.deepEqual(observer.events, [
    'start:r1',
    'waited:0',
    'attempt:1',
    'ended:1:server_error:50',
    'waited:0',
    'attempt:2',
    'ended:2:server_error:100',
    'waited:0',
    'attempt:3',
    'ended:3:ok',
    'end:true:3',
  ]);
});

test('429 with a hint pauses the whole pool until the hint and waits exactly the hint; congestion outcome', async () => {
  const { deps, log, limiter } = setup([rate429('750'), okResponse()]);
  const result = await executeCall(request(), deps);
  assert.equal(result.ok, true);
  assert.deepEqual(log, [
    'acquire',
    'call1',
    'release:congestion',
    'pause:1000750',
    'sleep:750',
    'acquire',
    'call2',
    'release:success',
  ]);
  assert.deepEqual(limiter.retryFlags, [false, true], 'a retry after congestion waits ahead of first attempts');
  assert.deepEqual(limiter.pauses, [1_000_750]);
});

test('429 without a hint backs off with jitter and does not pause the pool', async () => {
  const { deps, limiter, sleeps } = setup([rate429(), okResponse()]);
  assert.equal((await executeCall(request(), deps)).ok, true);
  assert.deepEqual(limiter.pauses, []);
  assert.deepEqual(sleeps, [50]);
});

test('a Retry-After on a 503 is a floor under the jittered backoff', async () => {
  const { deps, sleeps, limiter } = setup([
    http(503, { error: { message: 'Service Unavailable', type: 'server_error' } }, { 'retry-after': '2' }),
    okResponse(),
  ]);
  assert.equal((await executeCall(request(), deps)).ok, true);
  assert.deepEqual(sleeps, [2000]);
  assert.deepEqual(
    limiter.outcomes.map((o) => o.kind),
    ['ignore', 'success'],
  );
});

test('timeouts and overloaded answers are congestion', async () => {
  const { deps, limiter } = setup([
    new ModelCallError('timed out', { transport: 'timeout' }),
    http(429, '{"error":"Model is overloaded","error_type":"overloaded"}'),
    okResponse(),
  ]);
  assert.equal((await executeCall(request(), deps)).ok, true);
  assert.deepEqual(
    limiter.outcomes.map((o) => o.kind),
    ['congestion', 'congestion', 'success'],
  );
});

test('the attempt cap ends in a retriable failure with every attempt recorded', async () => {
  const { deps, client, sleeps, observer } = setup([err500()]);
  const result = await executeCall(request(), deps);
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.equal(result.reason, 'server_error');
  assert.equal(result.retriable, true);
  assert.match(result.message, /^gave up after 4 attempts: 500 The server had an error/);
  assert.equal(client.calls.length, 4);
  assert.equal(result.attempts.length, 4);
  assert.deepEqual(sleeps, [50, 100, 200]);
  assert.equal(result.attempts[3]?.backoffMs, undefined);
  assert.equal(observer.events.at(-1), 'end:false:4:server_error');
});

test('400/401/404 are dead letters at once: no retry, reason from the table', async () => {
  for (const [status, reason] of [
    [400, 'bad_request'],
    [401, 'unauthorized'],
    [404, 'not_found'],
  ] as const) {
    const { deps, client, limiter } = setup([http(status, { error: { message: 'nope' } })]);
    const result = await executeCall(request(), deps);
    assert.equal(client.calls.length, 1);
    assert.deepEqual(
      limiter.outcomes.map((o) => o.kind),
      ['ignore'],
    );
    assert.ok(!result.ok);
    if (!result.ok) {
      assert.equal(result.reason, reason);
      assert.equal(result.retriable, false);
    }
  }
});

test('an empty job-wide budget stops retrying with retry_budget_exhausted', async () => {
  const budget = createRetryBudget({ ratio: 0, floor: 1 });
  const { deps, client } = setup([err500()], { budget });
  const result = await executeCall(request(), deps);
  assert.equal(client.calls.length, 2, 'first attempt + the one retry of the floor');
  assert.ok(!result.ok);
  if (!result.ok) {
    assert.equal(result.reason, 'retry_budget_exhausted');
    assert.equal(result.retriable, true);
  }
});

test('congestion retries (429 with a hint) do not spend the budget: the limiter governs them', async () => {
  const budget = createRetryBudget({ ratio: 0, floor: 0 });
  const { deps, client } = setup([rate429('20'), rate429('20'), okResponse()], { budget });
  const result = await executeCall(request(), deps);
  assert.equal(client.calls.length, 3, 'two 429s retried with an empty budget, then the success');
  assert.ok(result.ok);
});

test('insufficient_quota throws JobStop after releasing the permit and closing the scope', async () => {
  const { deps, limiter, observer } = setup([
    http(429, {
      error: { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' },
    }),
  ]);
  await assert.rejects(
    executeCall(request(), deps),
    (e: unknown) => e instanceof JobStop && e.code === 'quota_exhausted',
  );
  assert.equal(limiter.inFlight, 0);
  assert.equal(observer.events.filter((e) => e.startsWith('end:')).length, 1);
});

const quota429 = () =>
  http(429, {
    error: { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' },
  });

test('with a gate, insufficient_quota hands the JobStop to the gate and ends NOT_STARTED instead of throwing', async () => {
  const gate = new AdmissionGate();
  const stops: string[] = [];
  gate.onJobStop((stop) => stops.push(stop.code));
  const { deps, limiter, observer, log } = setup([quota429()], { gate });
  const result = await executeCall(request(), deps);
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.reason, NOT_STARTED, 'unfinished, so --resume does it: not a dead letter');
  assert.deepEqual(stops, ['quota_exhausted']);
  assert.ok(gate.jobStop instanceof JobStop);
  assert.equal(gate.closed, true);
  assert.deepEqual(log, ['acquire', 'call1', 'release:ignore']);
  assert.equal(limiter.inFlight, 0);
  assert.deepEqual(
    observer.events.filter((e) => e.startsWith('end:')),
    [`end:false:1:${NOT_STARTED}`],
  );
});

test('with a gate, a streak of endpoint failures stops the job (endpoint_failing) instead of dead-lettering on', async () => {
  const gate = new AdmissionGate();
  const streak = new FailureStreak(2);
  const unauthorized = http(401, {
    error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' },
  });
  const { deps } = setup([unauthorized, unauthorized], { gate, streak });
  const first = await executeCall(request(), deps);
  assert.equal(!first.ok && first.reason, 'unauthorized', 'below the threshold a 401 is a dead letter');
  assert.equal(gate.closed, false);
  const second = await executeCall(request(), deps);
  assert.equal(!second.ok && second.reason, NOT_STARTED, 'the record that reached the threshold stays for --resume');
  assert.equal(gate.jobStop?.code, 'endpoint_failing');
  assert.equal(gate.jobStop?.exitCode, 6);
  assert.match(gate.jobStop?.message ?? '', /last 2 model calls all failed at the endpoint .*Incorrect API key/);
});

test('a closed gate: no call starts, the permit goes back, the record is NOT_STARTED', async () => {
  const gate = new AdmissionGate();
  gate.close('SIGINT');
  const { deps, client, limiter, stats, observer } = setup([okResponse()], { gate });
  const result = await executeCall(request(), deps);
  assert.equal(!result.ok && result.reason, NOT_STARTED);
  assert.equal(client.calls.length, 0);
  assert.equal(limiter.inFlight, 0);
  assert.equal(stats.attempts, 0, 'a call that never started is not counted as a model call');
  assert.deepEqual(observer.events, [], 'and leaves no span');
});

test('a call a client decorator refused before the provider (CallNotStarted) is NOT_STARTED and not counted', async () => {
  const { deps, limiter, stats, log } = setup([new CallNotStarted('budget of $1 reached')]);
  const result = await executeCall(request(), deps);
  assert.equal(!result.ok && result.reason, NOT_STARTED);
  assert.deepEqual(log, ['acquire', 'call1', 'release:ignore']);
  assert.equal(limiter.inFlight, 0);
  assert.equal(stats.attempts, 0);
  assert.equal(stats.retrying, 0);
});

test('a superseded record (its Kafka partition moved) starts no call: NOT_STARTED, permit returned', async () => {
  const { deps, client, limiter, stats } = setup([okResponse()]);
  const result = await executeCall({ ...request(), superseded: () => true }, deps);
  assert.equal(!result.ok && result.reason, NOT_STARTED);
  assert.equal(client.calls.length, 0);
  assert.equal(limiter.inFlight, 0);
  assert.equal(stats.attempts, 0);
});

test('the gate closing during a backoff ends the wait at once: NOT_STARTED, no second attempt', async () => {
  const gate = new AdmissionGate();
  const { deps, client, stats } = setup([err500(), okResponse()], {
    gate,
    sleep: (_ms, signal) =>
      new Promise<void>((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        gate.close('SIGTERM');
      }),
  });
  const result = await executeCall(request(), deps);
  assert.equal(!result.ok && result.reason, NOT_STARTED);
  assert.equal(client.calls.length, 1);
  assert.equal(stats.retrying, 0);
  assert.equal(result.attempts.length, 1);
});

test('an abort during backoff rethrows the reason, holds no permit, and ends the scope once', async () => {
  const controller = new AbortController();
  const { deps, limiter, observer, stats } = setup([err500()], {
    sleep: async (_ms, signal) => {
      controller.abort(new Error('stop'));
      signal.throwIfAborted();
    },
  });
  await assert.rejects(executeCall(request(controller.signal), deps), /stop/);
  assert.equal(limiter.inFlight, 0);
  assert.equal(stats.retrying, 0);
  assert.deepEqual(
    observer.events.filter((e) => e.startsWith('end:')),
    ['end:false:1:aborted'],
  );
});

test('the permit wait is measured apart from model time', async () => {
  let clock = 0;
  const { deps, observer } = setup([okResponse()], { now: () => clock });
  const acquire = deps.limiter.acquire.bind(deps.limiter);
  const slowLimiter = Object.assign(Object.create(deps.limiter) as typeof deps.limiter, {
    acquire: async (...args: Parameters<typeof acquire>) => {
      clock += 25;
      return acquire(...args);
    },
  });
  await executeCall(request(), { ...deps, limiter: slowLimiter });
  assert.deepEqual(observer.events.slice(0, 2), ['start:r1', 'waited:25']);
});
