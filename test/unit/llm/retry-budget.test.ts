import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRetryBudget } from '../../../src/llm/retry-budget.ts';

test('the floor allows a few retries before any request', () => {
  const budget = createRetryBudget({ ratio: 0.2, floor: 3 });
  assert.equal(budget.available, 3);
  assert.equal(budget.tryRetry(), true);
  assert.equal(budget.tryRetry(), true);
  assert.equal(budget.tryRetry(), true);
  assert.equal(budget.tryRetry(), false);
  assert.equal(budget.available, 0);
});

test('each first attempt deposits ratio tokens; retries stay a bounded fraction of requests', () => {
  const budget = createRetryBudget({ ratio: 0.2, floor: 10 });
  for (let i = 0; i < 1000; i++) budget.recordRequest();
  assert.equal(budget.available, 210);
  let granted = 0;
  while (budget.tryRetry()) granted++;
  assert.equal(granted, 210);
  for (let i = 0; i < 4; i++) budget.recordRequest();
  assert.equal(budget.tryRetry(), false, '4 × 0.2 = 0.8 < 1 token');
  budget.recordRequest();
  assert.equal(budget.tryRetry(), true, '5 × 0.2 = 1 token');
});

test('ratio 0 leaves only the floor; the default floor is 10', () => {
  const budget = createRetryBudget({ ratio: 0 });
  for (let i = 0; i < 100; i++) budget.recordRequest();
  assert.equal(budget.available, 10);
});
