import assert from 'node:assert/strict';
import { test } from 'node:test';
import { budgetClient } from '../../../src/budget/budget-client.ts';
import { CallNotStarted } from '../../../src/core/admission-gate.ts';
import { BudgetGuard } from '../../../src/budget/budget-guard.ts';
import type { TokenCounter } from '../../../src/budget/token-count.ts';
import { ModelCallError, type ModelClient, type ModelRequest } from '../../../src/llm/model-client.ts';

// 1 token = 1 character, so worst cases are easy to derive.
const counter: TokenCounter = {
  encoding: 'cl100k_base',
  count: (t) => t.length,
  countMessages: (ms) => ms.reduce((n, m) => n + m.content.length, 0),
};
const schema = { type: 'object' }; // JSON.stringify → 17 characters
const request = (content: string, promptTokenEstimate: number, maxTokens = 100): ModelRequest => ({
  recordIds: ['a'],
  messages: [{ role: 'user', content }],
  schema,
  schemaName: 'r',
  maxTokens,
  promptTokenEstimate,
  signal: new AbortController().signal,
});

function inner(usage = { inputTokens: 20, outputTokens: 5 }) {
  const calls: ModelRequest[] = [];
  const client: ModelClient = {
    model: 'm',
    provider: 'p',
    async call(r) {
      calls.push(r);
      return { raw: '{}', parsed: {}, usage, model: 'm', finishReason: 'stop', headers: {}, latencyMs: 1 };
    },
  };
  return { client, calls };
}

test('worst case = (max(chars/4 estimate, tokenizer count) + schema tokens) at the input price + max_tokens at the output price', async () => {
  const prices = { inputPer1M: 1e6, outputPer1M: 2e6 }; // $1 per input token, $2 per output token
  // tokenizer count 30 > estimate 10: worst = (30 + 17) + 2 × 100 = 247
  const exact = new BudgetGuard(247, prices);
  const a = inner();
  await budgetClient(a.client, exact, counter).call(request('x'.repeat(30), 10));
  assert.equal(a.calls.length, 1);
  assert.equal(exact.report().spentUsd, 20 + 2 * 5, 'settled with the real usage');

  const short = new BudgetGuard(246, prices);
  const b = inner();
  await assert.rejects(budgetClient(b.client, short, counter).call(request('x'.repeat(30), 10)), (error: unknown) => {
    assert.ok(error instanceof CallNotStarted, 'execute-call ends it NOT_STARTED: never retried, not a dead letter');
    assert.match(error.message, /budget of \$246 reached/);
    return true;
  });
  assert.equal(b.calls.length, 0, 'the refused request never reached the provider');
  assert.equal(short.tripped, true);

  // estimate 40 > tokenizer count 30: worst = (40 + 17) + 200 = 257
  const byEstimate = new BudgetGuard(256, prices);
  await assert.rejects(budgetClient(inner().client, byEstimate, counter).call(request('x'.repeat(30), 40)));
});

test('a failed attempt settles at zero', async () => {
  const guard = new BudgetGuard(1, { inputPer1M: 1, outputPer1M: 1 });
  const failing: ModelClient = {
    model: 'm',
    provider: 'p',
    call: async () => Promise.reject(new ModelCallError('boom', { status: 500 })),
  };
  await assert.rejects(budgetClient(failing, guard, counter).call(request('x', 1)), /boom/);
  assert.deepEqual(guard.report(), { capUsd: 1, spentUsd: 0, reservedUsd: 0, requestsAdmitted: 1 });
});
