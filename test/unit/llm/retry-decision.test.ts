import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Classification } from '../../../src/llm/classify-error.ts';
import { decideRetry, type RetryDecision } from '../../../src/llm/retry-decision.ts';

const retries = { maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 30_000 };
const of = (
  reason: Classification['reason'],
  retry: boolean,
  congestion: boolean,
  extra: Partial<Classification> = {},
): Classification => ({ reason, retry, congestion, stopJob: false, ...extra });

const rateLimited = of('rate_limited', true, true);
const rateLimitedWithHint = of('rate_limited', true, true, { retryAfterMs: 7_000 });
const serverError = of('server_error', true, false);
const serverErrorWithHint = of('server_error', true, false, { retryAfterMs: 9_000 });
const timeout = of('timeout', true, true);
const badRequest = of('bad_request', false, false);
const quota = of('quota_exhausted', false, false, { stopJob: true });

interface Row {
  readonly name: string;
  readonly attempt: number;
  readonly classification: Classification;
  readonly budget?: boolean;
  readonly endpointFailing?: boolean;
  readonly random?: number;
  readonly expect: {
    kind: RetryDecision['kind'];
    reason?: string;
    retriable?: boolean;
    backoffMs?: number;
    pausePool?: boolean;
    stop?: string;
  };
}

const table: Row[] = [
  {
    name: 'quota exhausted stops the job, whatever the attempt',
    attempt: 1,
    classification: quota,
    expect: { kind: 'stop_job', stop: 'quota_exhausted' },
  },
  {
    name: 'quota beats a failing endpoint',
    attempt: 3,
    classification: quota,
    endpointFailing: true,
    expect: { kind: 'stop_job', stop: 'quota_exhausted' },
  },
  {
    name: 'a failing endpoint stops the job',
    attempt: 1,
    classification: serverError,
    endpointFailing: true,
    expect: { kind: 'stop_job', stop: 'endpoint_failing' },
  },
  {
    name: 'not retryable: dead letter, not retriable',
    attempt: 1,
    classification: badRequest,
    expect: { kind: 'dead_letter', reason: 'bad_request', retriable: false },
  },
  {
    name: 'attempts used up: dead letter, retriable',
    attempt: 4,
    classification: serverError,
    expect: { kind: 'dead_letter', reason: 'server_error', retriable: true },
  },
  {
    name: 'attempts used up on congestion too',
    attempt: 4,
    classification: rateLimited,
    expect: { kind: 'dead_letter', reason: 'rate_limited', retriable: true },
  },
  {
    name: 'an empty budget ends a 5xx retry',
    attempt: 1,
    classification: serverError,
    budget: false,
    expect: { kind: 'dead_letter', reason: 'retry_budget_exhausted', retriable: true },
  },
  {
    name: 'an empty budget does not stop a congestion retry',
    attempt: 1,
    classification: timeout,
    budget: false,
    random: 0.5,
    expect: { kind: 'retry', backoffMs: 250, pausePool: false },
  },
  {
    name: 'full jitter: random × base × 2^(n−1)',
    attempt: 3,
    classification: serverError,
    random: 0.5,
    expect: { kind: 'retry', backoffMs: 1_000, pausePool: false },
  },
  {
    name: 'the jitter ceiling is maxDelay',
    attempt: 3,
    classification: serverError,
    random: 0.999,
    expect: { kind: 'retry', backoffMs: 1_998, pausePool: false },
  },
  {
    name: 'a 429 with a hint waits exactly the hint and pauses the pool',
    attempt: 1,
    classification: rateLimitedWithHint,
    random: 0,
    expect: { kind: 'retry', backoffMs: 7_000, pausePool: true },
  },
  {
    name: 'another error with a hint: never less than the hint, no pause',
    attempt: 1,
    classification: serverErrorWithHint,
    random: 0.1,
    expect: { kind: 'retry', backoffMs: 9_000, pausePool: false },
  },
];

for (const row of table) {
  test(`retry decision: ${row.name}`, () => {
    let budgetAsked = 0;
    const decision = decideRetry(
      { attempt: row.attempt, classification: row.classification, message: 'HTTP 500' },
      {
        retries,
        ...(row.endpointFailing && { endpointFailing: { threshold: 20 } }),
        takeRetryBudget: () => {
          budgetAsked++;
          return row.budget ?? true;
        },
        random: () => row.random ?? 0.5,
      },
    );
    assert.equal(decision.kind, row.expect.kind);
    if (decision.kind === 'stop_job') assert.equal(decision.stop.code, row.expect.stop);
    if (decision.kind === 'dead_letter') {
      assert.equal(decision.reason, row.expect.reason);
      assert.equal(decision.retriable, row.expect.retriable);
    }
    if (decision.kind === 'retry') {
      assert.equal(decision.backoffMs, row.expect.backoffMs);
      assert.equal(decision.pausePool, row.expect.pausePool);
    }
    // The job-wide budget is spent only by a retry of a non-congestion error that is otherwise allowed.
    const spends = decision.kind === 'retry' && !row.classification.congestion;
    const emptied = decision.kind === 'dead_letter' && decision.reason === 'retry_budget_exhausted';
    assert.equal(budgetAsked, spends || emptied ? 1 : 0);
  });
}

test('retry decision: the messages say what to do', () => {
  const gaveUp = decideRetry(
    { attempt: 4, classification: serverError, message: 'HTTP 500' },
    { retries, takeRetryBudget: () => true, random: () => 0 },
  );
  assert.equal(gaveUp.kind === 'dead_letter' && gaveUp.message, 'gave up after 4 attempts: HTTP 500');
  const failing = decideRetry(
    { attempt: 1, classification: serverError, message: 'HTTP 404' },
    { retries, endpointFailing: { threshold: 20 }, takeRetryBudget: () => true, random: () => 0 },
  );
  assert.match(
    failing.kind === 'stop_job' ? failing.stop.message : '',
    /the last 20 model calls all failed at the endpoint \(last: HTTP 404\).*resume the job/,
  );
});
