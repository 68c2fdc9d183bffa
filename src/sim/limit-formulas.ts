/**
 * X* (the best throughput any client could reach, items/s) and C* (the in-flight count that reaches it) for a
 * profile, from docs/profiles.md "Physical limits X*". Computed in model time, then scaled: rates × timeScale, times ÷
 * timeScale, so a time-scaled benchmark compares achieved/X* in its own real seconds.
 *  - rate-limited: X* = min(RPM/60, TPM/(60·c̄), C/E[L], X_client), c̄ = promptTokens + maxTokens (charged at
 *    admission); C* = ⌈X*·E[L]⌉ (Little's law). T_min(N) = max(N·E[L]/C, E[L] + (N − B_r)⁺/r_r,
 *    E[L] + (N·c̄ − B_t)⁺/r_t) from full buckets.
 *  - vllm (and an admission cap K): X(n) = n·η(n)/(L0·(1 + n/n½)) for n ≤ min(C, K, N_s); X* = max over n.
 *  - flaky: goodput X*(C) = min(C, K_srv)·P(success within τ)/E[min(T_attempt, τ)], estimated by a seeded
 *    Monte Carlo over the same sampling functions the server uses (brownouts weighted by time).
 *  - null: X* = the client's own ceiling when given, else unknown (null).
 */
import { failureProbability, sampleError } from './error-injection.ts';
import { expectedLatency, expectedOutputTokens, kvEfficiency, sampleLatency } from './latency-model.ts';
import type { ProfileParams } from './profiles.ts';
import { createRng } from './rng.ts';

export interface LimitQuery {
  /** The client's in-flight cap C (Infinity = unbounded). */
  concurrency: number;
  promptTokens: number;
  maxTokens: number;
  /** Client timeout τ per attempt, real seconds (flaky-tail). */
  timeoutS?: number;
  /** X_client, the client's own ceiling from a null run, items per real second. */
  clientCeiling?: number;
  /** N for T_min(N) (rate-limited profiles). */
  items?: number;
}

export type Bound =
  | 'rpm'
  | 'tpm'
  | 'concurrency'
  | 'latency'
  | 'capacity'
  | 'admission-cap'
  | 'goodput'
  | 'client'
  | 'none';

export interface SimLimit {
  profile: string;
  /** Items per real second; null when unbounded (null profile without a client ceiling). */
  xStar: number | null;
  /** In-flight requests needed to reach X*. */
  cStar: number | null;
  bound: Bound;
  details: Record<string, number | string | null>;
}

const round = (x: number, digits = 4) => (Number.isFinite(x) ? Number(x.toPrecision(digits)) : null);

export function limitFor(profile: string, p: ProfileParams, q: LimitQuery, timeScale: number): SimLimit {
  const maxTokens = q.maxTokens > 0 ? q.maxTokens : undefined;
  const clientModel = q.clientCeiling !== undefined ? q.clientCeiling / timeScale : Infinity;
  const C = q.concurrency > 0 ? q.concurrency : Infinity;
  const finish = (x: number, c: number, bound: Bound, details: Record<string, number | string | null>): SimLimit => {
    if (clientModel < x) {
      x = clientModel;
      bound = 'client';
    }
    return {
      profile,
      xStar: round(x * timeScale),
      cStar: Number.isFinite(c) ? Math.ceil(c) : null,
      bound,
      details: { ...details, timeScale },
    };
  };

  if (p.latencyModel === 'flaky') {
    const tau = q.timeoutS !== undefined && q.timeoutS > 0 ? q.timeoutS * timeScale : Infinity;
    const { meanAttemptS, success } = flakyAttempt(p, tau, maxTokens);
    const slots = Math.min(C, p.admissionCap > 0 ? p.admissionCap : Infinity);
    const x = (slots * success) / meanAttemptS;
    return finish(x, slots, 'goodput', {
      meanAttemptLatencyS: round(meanAttemptS / timeScale),
      successPerAttempt: round(success),
      failureProbability: round(failureProbability(p)),
      serverCap: p.admissionCap || null,
    });
  }

  if (p.latencyModel === 'vllm') {
    const cap = p.admissionCap > 0 ? p.admissionCap : Infinity;
    const nMax = Math.min(C, cap, p.maxRunning > 0 ? p.maxRunning : Infinity, 100_000);
    const k = expectedOutputTokens(p, maxTokens);
    const L0 = p.vllmBaseS + k / p.vllmDecodeTps;
    let best = 0;
    let nStar = 1;
    for (let n = 1; n <= nMax; n++) {
      const x = (n * kvEfficiency(p, n)) / (L0 * (1 + n / p.nHalf));
      if (x > best) {
        best = x;
        nStar = n;
      }
    }
    const bound: Bound = nStar === cap ? 'admission-cap' : nStar === C ? 'concurrency' : 'capacity';
    return finish(best, nStar, bound, {
      L0S: round(L0 / timeScale),
      latencyAtStarS: round(expectedLatency(p, nStar, maxTokens) / timeScale),
      nHalf: p.nHalf,
      nKv: p.nKv,
      maxRunning: p.maxRunning,
      admissionCap: p.admissionCap || null,
    });
  }

  // Rate-limited (saas-*, seed-blog) and null.
  const EL = expectedLatency(p, 1, maxTokens);
  const cbar = q.promptTokens + q.maxTokens;
  const candidates: Array<[Bound, number]> = [
    ['rpm', p.rpm > 0 ? p.rpm / 60 : Infinity],
    ['tpm', p.tpm > 0 && cbar > 0 ? p.tpm / (60 * cbar) : Infinity],
    ['concurrency', EL > 0 ? C / EL : Infinity],
  ];
  let [bound, x] = candidates[0] as [Bound, number];
  for (const [b, v] of candidates) if (v < x) [bound, x] = [b, v];
  if (!Number.isFinite(x)) bound = 'none';
  const details: Record<string, number | string | null> = {
    meanLatencyS: round(EL / timeScale),
    chargedTokensPerRequest: cbar,
    rpmBound: round((p.rpm > 0 ? p.rpm / 60 : Infinity) * timeScale),
    tpmBound: round((p.tpm > 0 && cbar > 0 ? p.tpm / (60 * cbar) : Infinity) * timeScale),
    concurrencyBound: round((EL > 0 ? C / EL : Infinity) * timeScale),
    rpdPerSecond: p.rpd > 0 ? round((p.rpd / 86_400) * timeScale) : null,
    // The limits themselves, per simulated minute (a bucket holds one simulated minute; it refills timeScale× faster
    // in real time): what a client that knows its limits plans with.
    rpm: p.rpm > 0 ? p.rpm : null,
    tpm: p.tpm > 0 ? p.tpm : null,
  };
  if (q.items !== undefined && q.items > 0) details.tMinS = round(tMin(p, q.items, EL, C, cbar) / timeScale);
  const cStar = bound === 'concurrency' ? C : Number.isFinite(x) ? x * EL : Infinity;
  return finish(x, Math.max(1, cStar), bound, details);
}

/** T_min(N) from full buckets (model seconds): docs/profiles.md. */
export function tMin(p: ProfileParams, n: number, EL: number, C: number, cbar: number): number {
  const parts = [Number.isFinite(C) ? (n * EL) / C : 0];
  if (p.rpm > 0) parts.push(EL + Math.max(0, n - p.rpm) / (p.rpm / 60));
  if (p.tpm > 0) parts.push(EL + Math.max(0, n * cbar - p.tpm) / (p.tpm / 60));
  return Math.max(...parts);
}

/** Mean attempt time E[min(T, τ)] and P(success within τ) of the flaky model, by seeded Monte Carlo. */
export function flakyAttempt(
  p: ProfileParams,
  tau: number,
  maxTokens: number | undefined,
  samples = 40_000,
): { meanAttemptS: number; success: number } {
  const rng = createRng(12345);
  const b = p.brownoutEveryS > 0 ? Math.min(1, p.brownoutS / p.brownoutEveryS) : 0;
  let time = 0;
  let ok = 0;
  for (let i = 0; i < samples; i++) {
    const brownout = rng() < b;
    const error = sampleError(p, rng, brownout);
    const t =
      error?.kind === 'status' ? p.errorDelayS : sampleLatency(p, rng, { running: 1, maxTokens, brownout }).totalS;
    time += Math.min(t, tau);
    if (!error && t <= tau) ok++;
  }
  return { meanAttemptS: time / samples, success: ok / samples };
}
