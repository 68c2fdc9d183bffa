import { test } from 'node:test';
import assert from 'node:assert/strict';
import { limitFor, tMin } from '../../../src/sim/limit-formulas.ts';
import { PROFILES, type ProfileParams } from '../../../src/sim/profiles.ts';

const P = (name: string) => PROFILES[name] as ProfileParams;
const close = (a: number | null, b: number, tol: number, what: string) =>
  assert.ok(a !== null && Math.abs(a - b) <= tol * b, `${what}: ${a} vs ${b}`);

test('saas-tier1 with c̄ = 350: RPM-bound at 8.33/s, TPM bound 9.5/s, ≈18 in flight (docs/profiles.md)', () => {
  const l = limitFor('saas-tier1', P('saas-tier1'), { concurrency: Infinity, promptTokens: 250, maxTokens: 100 }, 1);
  assert.equal(l.bound, 'rpm');
  close(l.xStar, 8.333, 0.001, 'X*');
  close(l.details.tpmBound as number, 9.524, 0.001, 'TPM bound');
  assert.ok(l.cStar !== null && l.cStar >= 16 && l.cStar <= 19, `C* ${l.cStar}`);
});

test('time scale multiplies X* and divides latencies', () => {
  const q = { concurrency: Infinity, promptTokens: 250, maxTokens: 100 };
  const a = limitFor('saas-tier1', P('saas-tier1'), q, 1);
  const b = limitFor('saas-tier1', P('saas-tier1'), q, 20);
  close(b.xStar, (a.xStar ?? 0) * 20, 0.001, 'X* × 20');
  close(b.details.meanLatencyS as number, (a.details.meanLatencyS as number) / 20, 0.001, 'E[L] ÷ 20');
  assert.equal(a.cStar, b.cStar);
});

test('saas-tier5 capped at 100 in flight reaches about 9% of its 500/s', () => {
  const l = limitFor('saas-tier5', P('saas-tier5'), { concurrency: 100, promptTokens: 250, maxTokens: 100 }, 1);
  assert.equal(l.bound, 'concurrency');
  assert.ok(l.xStar !== null && l.xStar / 500 > 0.08 && l.xStar / 500 < 0.1, `X* ${l.xStar}`);
  const free = limitFor('saas-tier5', P('saas-tier5'), { concurrency: Infinity, promptTokens: 250, maxTokens: 100 }, 1);
  assert.equal(free.bound, 'rpm');
  assert.ok(free.cStar !== null && free.cStar > 900 && free.cStar < 1200, `C* ${free.cStar}`);
});

test('seed-blog: TPM-bound at 25.4/s with 131 tokens charged', () => {
  const l = limitFor('seed-blog', P('seed-blog'), { concurrency: Infinity, promptTokens: 121, maxTokens: 10 }, 1);
  assert.equal(l.bound, 'tpm');
  close(l.xStar, 25.45, 0.01, 'X*');
  close(l.details.rpmBound as number, 58.33, 0.01, 'RPM bound');
});

test('vllm-gpu: X* ≈ 14.9/s at n* = 48 and ≈3.2 s latency; a client capped at 16 is concurrency-bound', () => {
  const l = limitFor('vllm-gpu', P('vllm-gpu'), { concurrency: Infinity, promptTokens: 0, maxTokens: 0 }, 1);
  assert.equal(l.bound, 'capacity');
  assert.equal(l.cStar, 48);
  close(l.xStar, 14.9, 0.02, 'X*');
  close(l.details.latencyAtStarS as number, 3.2, 0.03, 'latency at n*');
  const capped = limitFor('vllm-gpu', P('vllm-gpu'), { concurrency: 16, promptTokens: 0, maxTokens: 0 }, 1);
  assert.equal(capped.bound, 'concurrency');
  assert.equal(capped.cStar, 16);
});

test('capped-overload: X* = K/(L0·(1 + K/n½)) ≈ 12.4/s with C* = K = 32', () => {
  const l = limitFor(
    'capped-overload',
    P('capped-overload'),
    { concurrency: Infinity, promptTokens: 0, maxTokens: 0 },
    1,
  );
  assert.equal(l.bound, 'admission-cap');
  assert.equal(l.cStar, 32);
  close(l.xStar, 12.4, 0.02, 'X*');
});

test('flaky-tail: goodput at C = 256 near the ≈115/s of docs/profiles.md; a client timeout changes it', () => {
  const l = limitFor('flaky-tail', P('flaky-tail'), { concurrency: 256, promptTokens: 0, maxTokens: 0 }, 1);
  assert.equal(l.bound, 'goodput');
  // docs/profiles.md rounds E[T] to ≈2 s; in this model failed attempts return after 100 ms, so E[T] ≈ 1.8 s → ≈127/s.
  close(l.xStar, 115, 0.15, 'goodput');
  close(l.details.successPerAttempt as number, 0.907, 0.02, '1 − p_f');
  const more = limitFor('flaky-tail', P('flaky-tail'), { concurrency: 1000, promptTokens: 0, maxTokens: 0 }, 1);
  assert.equal(more.xStar, l.xStar, 'the server caps at 256 in flight');
  const timed = limitFor(
    'flaky-tail',
    P('flaky-tail'),
    { concurrency: 256, promptTokens: 0, maxTokens: 0, timeoutS: 2 },
    1,
  );
  assert.notEqual(timed.xStar, l.xStar);
});

test('null: unknown without a client ceiling, the ceiling otherwise', () => {
  const l = limitFor('null', P('null'), { concurrency: 64, promptTokens: 0, maxTokens: 0 }, 1);
  assert.equal(l.xStar, null);
  const c = limitFor('null', P('null'), { concurrency: 64, promptTokens: 0, maxTokens: 0, clientCeiling: 9000 }, 1);
  assert.equal(c.xStar, 9000);
  assert.equal(c.bound, 'client');
});

test('T_min(N) from full buckets: the RPM burst then the refill rate', () => {
  const p = P('saas-tier1');
  // 1,000 items, E[L] = 2 s, unbounded C: 500 from the burst, 500 more at 8.33/s → 2 + 60 s
  assert.ok(Math.abs(tMin(p, 1000, 2, Infinity, 350) - 62) < 1e-9);
  assert.equal(tMin(p, 100, 2, 10, 350), 20);
});
