import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ModelSchema } from '../../../src/config/pipeline-schema.ts';
import { outcomeOf } from '../../../src/batch/batch-outcomes.ts';

const model = ModelSchema.parse({ name: 'gpt-4o-mini' });
const redact = (text: string) => text.replaceAll('sk-secret-key-123', '[REDACTED]');
const line = (response: unknown, error: unknown = null) =>
  JSON.stringify({ id: 'batch_req_1', custom_id: 'x', response, error });
const completion = (content: string, finish = 'stop') => ({
  id: 'c',
  object: 'chat.completion',
  model: 'gpt-4o-mini-2024-07-18',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finish }],
  usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 },
});

test('status 200: answered, with the raw answer, its parse, usage and the model reported', () => {
  const outcome = outcomeOf(
    line({ status_code: 200, request_id: 'r', body: completion('{"label":"a"}') }),
    model,
    redact,
  );
  assert.equal(outcome.kind, 'answered');
  if (outcome.kind !== 'answered') return;
  assert.deepEqual(outcome.response.parsed, { label: 'a' });
  assert.deepEqual(outcome.response.usage, { inputTokens: 12, outputTokens: 4 });
  assert.equal(outcome.response.model, 'gpt-4o-mini-2024-07-18');
  assert.equal(outcome.response.finishReason, 'stop');
});

test('status 200 with a cut-off answer: answered, parse absent (the ingest stage re-asks)', () => {
  const outcome = outcomeOf(line({ status_code: 200, body: completion('{"lab', 'length') }), model, redact);
  assert.ok(
    outcome.kind === 'answered' && outcome.response.parsed === undefined && outcome.response.finishReason === 'length',
  );
});

test("a 400 is refused (the record's dead letter); a 500 or a 429 is unfinished (sent again); quota stops the job", () => {
  const bad = outcomeOf(
    line({
      status_code: 400,
      body: { error: { message: 'Bad schema sk-secret-key-123', type: 'invalid_request_error' } },
    }),
    model,
    redact,
  );
  assert.deepEqual(bad, { kind: 'refused', status: 400, reason: 'bad_request', message: '400 Bad schema [REDACTED]' });
  const server = outcomeOf(
    line({ status_code: 500, body: { error: { message: 'oops', type: 'server_error' } } }),
    model,
    redact,
  );
  assert.ok(
    server.kind === 'unfinished' && server.reason === 'server_error' && server.status === 500 && !server.stopJob,
  );
  const rate = outcomeOf(
    line({
      status_code: 429,
      body: { error: { message: 'slow down', type: 'requests', code: 'rate_limit_exceeded' } },
    }),
    model,
    redact,
  );
  assert.ok(rate.kind === 'unfinished' && rate.reason === 'rate_limited');
  const quota = outcomeOf(
    line({
      status_code: 429,
      body: { error: { message: 'quota', type: 'insufficient_quota', code: 'insufficient_quota' } },
    }),
    model,
    redact,
  );
  assert.ok(quota.kind === 'unfinished' && quota.stopJob === true);
});

test("never run: batch_expired and batch_cancelled are unfinished with the provider's code", () => {
  const expired = outcomeOf(
    line(null, {
      code: 'batch_expired',
      message: 'This request could not be executed before the completion window expired.',
    }),
    model,
    redact,
  );
  assert.deepEqual(expired, {
    kind: 'unfinished',
    reason: 'batch_expired',
    message: 'batch_expired: This request could not be executed before the completion window expired.',
  });
  const cancelled = outcomeOf(line(null, { code: 'batch_cancelled', message: 'cancelled' }), model, redact);
  assert.ok(cancelled.kind === 'unfinished' && cancelled.reason === 'batch_cancelled');
});

test('a 200 whose body is no chat completion is refused, not crashed on', () => {
  const outcome = outcomeOf(line({ status_code: 200, body: { nothing: true } }), model, redact);
  assert.ok(outcome.kind === 'refused' && outcome.reason === 'bad_response');
});
