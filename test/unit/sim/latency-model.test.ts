import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  expectedLatency,
  expectedOutputTokens,
  isBrownout,
  kvEfficiency,
  sampleLatency,
} from '../../../src/sim/latency-model.ts';
import { PROFILES, resolveProfile, type ProfileParams } from '../../../src/sim/profiles.ts';
import { createRng } from '../../../src/sim/rng.ts';

const SAMPLES = 40_000;

function meanLatency(p: ProfileParams, running: number, seed: number, brownout = false): number {
  const rng = createRng(seed);
  let sum = 0;
  for (let i = 0; i < SAMPLES; i++) sum += sampleLatency(p, rng, { running, maxTokens: undefined, brownout }).totalS;
  return sum / SAMPLES;
}

function within(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance * expected,
    `${what}: ${actual.toFixed(4)} vs formula ${expected.toFixed(4)}`,
  );
}

/** The formula written out independently of latency-model.ts, from docs/profiles.md. */
function vllmFormula(n: number): number {
  const L0 = 0.06 + 100 / 80;
  const eta = n <= 48 ? 1 : 1 - (0.5 * (n - 48)) / 48;
  return (L0 * (1 + n / 33)) / eta;
}

for (const name of ['saas-tier1', 'saas-tier5', 'seed-blog', 'vllm-gpu', 'capped-overload', 'flaky-tail']) {
  test(`${name}: mean latency at in-flight 1, 16, 48 within 10% of its formula`, () => {
    const p = PROFILES[name] as ProfileParams;
    for (const n of [1, 16, 48]) {
      const mean = meanLatency(p, n, 1000 + n);
      within(mean, expectedLatency(p, n, undefined), 0.1, `${name} n=${n}`);
      if (p.latencyModel === 'vllm') within(mean, vllmFormula(n), 0.1, `${name} n=${n} vs docs/profiles.md`);
    }
  });
}

test('saas latency does not depend on load and matches E[L] ≈ 2.2 s of docs/profiles.md', () => {
  const p = PROFILES['saas-tier1'] as ProfileParams;
  const at1 = meanLatency(p, 1, 7);
  within(at1, 2.2, 0.05, 'tier1 E[L]');
  assert.equal(expectedLatency(p, 1, undefined), expectedLatency(p, 200, undefined));
});

test('seed-blog answers in about 0.3 s per call', () => {
  within(meanLatency(PROFILES['seed-blog'] as ProfileParams, 1, 3), 0.302, 0.1, 'seed-blog');
});

test('vllm: above N_kv requests are preempted (tail ×2) and efficiency falls', () => {
  const p = PROFILES['vllm-gpu'] as ProfileParams;
  assert.equal(kvEfficiency(p, 48), 1);
  assert.equal(kvEfficiency(p, 72), 0.75);
  const rng = createRng(5);
  let preempted = 0;
  for (let i = 0; i < 10_000; i++)
    if (sampleLatency(p, rng, { running: 64, maxTokens: undefined, brownout: false }).preempted) preempted++;
  within(preempted / 10_000, 16 / 64, 0.1, 'preempted fraction at n=64');
  within(meanLatency(p, 64, 9), vllmFormula(64), 0.1, 'n=64');
});

test('flaky-tail: brownouts triple the latency, on a fixed schedule', () => {
  const p = PROFILES['flaky-tail'] as ProfileParams;
  within(meanLatency(p, 1, 11, true), 3 * meanLatency(p, 1, 11, false), 0.01, 'brownout ×3');
  assert.equal(isBrownout(p, 0), false);
  assert.equal(isBrownout(p, 104.9), false);
  assert.equal(isBrownout(p, 105), true);
  assert.equal(isBrownout(p, 119.9), true);
  assert.equal(isBrownout(p, 120), false);
});

test('output tokens are clamped to max_tokens, and E[k] follows', () => {
  const p = resolveProfile('saas-tier1');
  const rng = createRng(2);
  for (let i = 0; i < 1000; i++) {
    const k = sampleLatency(p, rng, { running: 1, maxTokens: 50, brownout: false }).outputTokens;
    assert.ok(k >= 20 && k <= 50, `k=${k}`);
  }
  within(expectedOutputTokens(p, undefined), 100, 0.01, 'E[k] unclamped');
  assert.ok(expectedOutputTokens(p, 50) < 50);
});

test('null profile has zero latency', () => {
  assert.equal(meanLatency(PROFILES.null as ProfileParams, 1, 1), 0);
});
