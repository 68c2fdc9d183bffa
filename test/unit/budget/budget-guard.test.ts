import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BudgetGuard } from '../../../src/budget/budget-guard.ts';

const prices = { inputPer1M: 1, outputPer1M: 2 }; // 1 token in = $1e-6, out = $2e-6

test('worst case counts prompt at the input price and max_tokens at the output price', () => {
  const guard = new BudgetGuard(1, prices);
  assert.equal(guard.worstCaseUsd(100, 50), 200e-6);
  assert.equal(guard.usageUsd({ inputTokens: 10, outputTokens: 5 }), 20e-6);
});

test('reserve → settle with real usage; the request that cannot fit even alone is refused and trips once', async () => {
  const guard = new BudgetGuard(100e-6, prices);
  const tripped: number[] = [];
  guard.onTrip(() => tripped.push(1));
  const signal = new AbortController().signal;
  const a = await guard.reserve(60e-6, signal);
  assert.ok(a);
  guard.settle(a, { inputTokens: 10, outputTokens: 10 }); // $30e-6 spent
  const b = await guard.reserve(70e-6, signal); // 30 + 70 = 100 ≤ 100
  assert.ok(b);
  guard.settle(b, { inputTokens: 20, outputTokens: 0 }); // spent 50e-6
  assert.equal(await guard.reserve(51e-6, signal), undefined, '50 + 51 > 100');
  assert.equal(tripped.length, 1);
  assert.equal(await guard.reserve(1e-6, signal), undefined, 'nothing starts once tripped');
  assert.equal(tripped.length, 1);
  const report = guard.report();
  assert.ok(Math.abs(report.spentUsd - 50e-6) < 1e-15);
  assert.deepEqual(report.refused, { worstUsd: 51e-6, spentUsd: report.spentUsd });
  assert.equal(report.requestsAdmitted, 2);
});

test('a request that fits next to the spend waits for reservations in flight to settle', async () => {
  const guard = new BudgetGuard(100e-6, prices);
  const signal = new AbortController().signal;
  const first = (await guard.reserve(80e-6, signal))!;
  let second: unknown = 'pending';
  const waiting = guard.reserve(80e-6, signal).then((r) => (second = r));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(second, 'pending', 'spent 0 + reserved 80 + 80 > 100: waits');
  guard.settle(first, { inputTokens: 10, outputTokens: 0 }); // spent 10e-6
  await waiting;
  assert.ok(second && typeof second === 'object', '10 + 80 ≤ 100 once settled');
  assert.equal(guard.tripped, false);
});

test('a waiting reservation rejects when its signal aborts', async () => {
  const guard = new BudgetGuard(100e-6, prices);
  const controller = new AbortController();
  await guard.reserve(80e-6, controller.signal);
  const waiting = guard.reserve(80e-6, controller.signal);
  controller.abort(new Error('stop'));
  await assert.rejects(waiting, /stop/);
});
