import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failureProbability, sampleError, sampleFault } from '../../../src/sim/error-injection.ts';
import { PROFILES, resolveProfile, type ProfileParams } from '../../../src/sim/profiles.ts';
import { createRng } from '../../../src/sim/rng.ts';

const N = 200_000;

function tally(p: ProfileParams, brownout: boolean, seed: number): Map<string, number> {
  const rng = createRng(seed);
  const out = new Map<string, number>();
  for (let i = 0; i < N; i++) {
    const e = sampleError(p, rng, brownout);
    const key = e === undefined ? 'ok' : e.kind === 'reset' ? 'reset' : String(e.status);
    out.set(key, (out.get(key) ?? 0) + 1);
    if (e?.kind === 'status' && (e.status === 502 || e.status === 503) && p.retryAfterMaxS > 0) {
      assert.ok(
        e.retryAfterS !== undefined && e.retryAfterS >= 1 && e.retryAfterS <= 5,
        `retry-after ${e.retryAfterS}`,
      );
    }
  }
  return out;
}

/** |observed − expected| within 4 binomial standard deviations (and 15% relative for tiny rates). */
function rateOk(count: number, rate: number, what: string): void {
  const expected = rate * N;
  const sd = Math.sqrt(N * rate * (1 - rate));
  assert.ok(
    Math.abs(count - expected) <= Math.max(4 * sd, 1),
    `${what}: ${count} vs expected ${expected.toFixed(0)} ± ${(4 * sd).toFixed(0)}`,
  );
}

test('flaky-tail error mix over 200,000 attempts: 2% 500, 0.5% 502, 0.5% 503, 0.5% resets', () => {
  const t = tally(PROFILES['flaky-tail'] as ProfileParams, false, 1);
  rateOk(t.get('500') ?? 0, 0.02, '500');
  rateOk(t.get('502') ?? 0, 0.005, '502');
  rateOk(t.get('503') ?? 0, 0.005, '503');
  rateOk(t.get('reset') ?? 0, 0.005, 'reset');
});

test('flaky-tail brownout: half the attempts fail, split between 500 and 503', () => {
  const t = tally(PROFILES['flaky-tail'] as ProfileParams, true, 2);
  rateOk(t.get('500') ?? 0, 0.25, '500');
  rateOk(t.get('503') ?? 0, 0.25, '503');
  assert.equal(t.get('reset'), undefined);
});

test('saas-tier1: 0.1% 500 and 0.1% 503, nothing else', () => {
  const t = tally(PROFILES['saas-tier1'] as ProfileParams, false, 3);
  rateOk(t.get('500') ?? 0, 0.001, '500');
  rateOk(t.get('503') ?? 0, 0.001, '503');
  assert.deepEqual([...t.keys()].sort(), ['500', '503', 'ok']);
});

test('vllm-gpu: 0.01% 500; null: never an error', () => {
  rateOk(tally(PROFILES['vllm-gpu'] as ProfileParams, false, 4).get('500') ?? 0, 0.0001, 'vllm 500');
  assert.deepEqual([...tally(PROFILES.null as ProfileParams, false, 5).keys()], ['ok']);
});

test('time-weighted failure probability of flaky-tail is about 9% (docs/profiles.md)', () => {
  const pf = failureProbability(PROFILES['flaky-tail'] as ProfileParams);
  assert.ok(pf > 0.085 && pf < 0.1, `p_f = ${pf}`);
});

test('content faults at their configured rates; none by default', () => {
  const p = resolveProfile('null', { faultMalformedRate: 0.1, faultSchemaInvalidRate: 0.05, faultTruncateRate: 0.02 });
  const rng = createRng(6);
  const counts: Record<string, number> = {};
  for (let i = 0; i < N; i++) {
    const f = sampleFault(p, rng) ?? 'none';
    counts[f] = (counts[f] ?? 0) + 1;
  }
  rateOk(counts.malformed ?? 0, 0.1, 'malformed');
  rateOk(counts.schema_invalid ?? 0, 0.05, 'schema_invalid');
  rateOk(counts.truncate ?? 0, 0.02, 'truncate');
  assert.equal(sampleFault(resolveProfile('saas-tier1'), rng), undefined);
});
