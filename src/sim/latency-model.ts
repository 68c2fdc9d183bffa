/**
 * Per-attempt latency of each profile's model, as pure functions of (params, rng, load). Model seconds.
 * Sources: docs/profiles.md "Latency facts" and the profile table.
 *  - ttft-tps (SaaS): L = TTFT + k/TPS, TTFT ~ lognormal(median, σ), TPS ~ Normal(μ, s), k ~ clamp(N(100, 30), 20,
 *    max_tokens); stragglers ×U[3, 10]; independent of load.
 *  - vllm (continuous batching): L(n) = L0·(1 + n/n½), L0 = base + k/decodeTps, n = requests running including this
 *    one, sampled when the request starts running. Above N_kv running, efficiency η(n) = 1 − 0.5·(n − N_kv)/N_kv and a
 *    fraction q = (n − N_kv)/n of requests is preempted and restarted (latency ×2), scaled so that
 *    E[L] = L0·(1 + n/n½)/η(n), i.e. throughput X(n) = n/E[L] = n·η(n)/(L0·(1 + n/n½)) as in docs/profiles.md.
 *  - flaky: lognormal(median, σ), with probability paretoRate a Pareto(x_m, α) straggler capped at paretoCapS;
 *    ×brownoutLatencyX during a brownout.
 */
import type { ProfileParams } from './profiles.ts';
import { lognormal, normal, pareto, uniform, type Rng } from './rng.ts';

export interface LatencySample {
  /** Time to the first byte/token. */
  ttftS: number;
  /** Total time of the attempt. */
  totalS: number;
  /** Output tokens the latency was computed for. */
  outputTokens: number;
  /** vllm: this request was preempted and restarted. */
  preempted: boolean;
}

export interface LoadContext {
  /** Requests running now, including this one (vllm). */
  running: number;
  maxTokens: number | undefined;
  brownout: boolean;
}

export function sampleOutputTokens(p: ProfileParams, rng: Rng, maxTokens: number | undefined): number {
  const hi = maxTokens ?? Infinity;
  const k = Math.round(normal(rng, p.outMean, p.outSd));
  return Math.max(Math.min(p.outMin, hi), Math.min(hi, Math.max(p.outMin, k)));
}

/** η(n): 1 up to N_kv, then 1 − 0.5·(n − N_kv)/N_kv (floored at 0.05). */
export function kvEfficiency(p: ProfileParams, n: number): number {
  if (n <= p.nKv) return 1;
  return Math.max(0.05, 1 - (0.5 * (n - p.nKv)) / p.nKv);
}

/** True during a brownout: the last brownoutS seconds of every brownoutEveryS-second period. */
export function isBrownout(p: ProfileParams, modelTimeS: number): boolean {
  if (p.brownoutEveryS <= 0 || p.brownoutS <= 0) return false;
  return modelTimeS % p.brownoutEveryS >= p.brownoutEveryS - p.brownoutS;
}

export function sampleLatency(p: ProfileParams, rng: Rng, load: LoadContext): LatencySample {
  switch (p.latencyModel) {
    case 'none':
      return { ttftS: 0, totalS: 0, outputTokens: sampleOutputTokens(p, rng, load.maxTokens), preempted: false };
    case 'ttft-tps': {
      const k = sampleOutputTokens(p, rng, load.maxTokens);
      const ttft = lognormal(rng, p.ttftMedianS, p.ttftSigma);
      const tps = Math.max(p.tpsMean / 4, normal(rng, p.tpsMean, p.tpsSd));
      let total = ttft + k / tps;
      if (p.stragglerRate > 0 && rng() < p.stragglerRate) total *= uniform(rng, p.stragglerMinX, p.stragglerMaxX);
      return { ttftS: ttft, totalS: total, outputTokens: k, preempted: false };
    }
    case 'vllm': {
      const k = sampleOutputTokens(p, rng, load.maxTokens);
      const n = Math.max(1, load.running);
      const growth = 1 + n / p.nHalf;
      const mean = ((p.vllmBaseS + k / p.vllmDecodeTps) * growth) / kvEfficiency(p, n);
      const q = n > p.nKv ? (n - p.nKv) / n : 0;
      const preempted = q > 0 && rng() < q;
      const base = mean / (1 + q);
      return { ttftS: p.vllmBaseS * growth, totalS: preempted ? 2 * base : base, outputTokens: k, preempted };
    }
    case 'flaky': {
      const k = sampleOutputTokens(p, rng, load.maxTokens);
      let total =
        p.paretoRate > 0 && rng() < p.paretoRate
          ? Math.min(p.paretoCapS, pareto(rng, p.paretoXmS, p.paretoAlpha))
          : lognormal(rng, p.flakyMedianS, p.flakySigma);
      if (load.brownout) total *= p.brownoutLatencyX;
      return { ttftS: total * 0.2, totalS: total, outputTokens: k, preempted: false };
    }
  }
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/** E[clamp(N(μ, σ), a, b)] (closed form of the censored normal mean). */
export function expectedOutputTokens(p: ProfileParams, maxTokens: number | undefined): number {
  const a = Math.min(p.outMin, maxTokens ?? Infinity);
  const b = maxTokens ?? Infinity;
  const mu = p.outMean;
  const s = p.outSd;
  if (s <= 0) return Math.min(b, Math.max(a, mu));
  const al = (a - mu) / s;
  const be = b === Infinity ? Infinity : (b - mu) / s;
  const Fa = normalCdf(al);
  const Fb = be === Infinity ? 1 : normalCdf(be);
  const upper = be === Infinity ? 0 : b * (1 - Fb);
  return a * Fa + upper + mu * (Fb - Fa) + s * (normalPdf(al) - (be === Infinity ? 0 : normalPdf(be)));
}

/** E[L] of one attempt with `n` requests running (ttft-tps, vllm; flaky is estimated numerically elsewhere). */
export function expectedLatency(p: ProfileParams, n: number, maxTokens: number | undefined): number {
  const k = expectedOutputTokens(p, maxTokens);
  switch (p.latencyModel) {
    case 'none':
      return 0;
    case 'ttft-tps': {
      // E[1/TPS] ≈ (1/μ)(1 + s²/μ²) (second-order delta method).
      const invTps = (1 / p.tpsMean) * (1 + (p.tpsSd * p.tpsSd) / (p.tpsMean * p.tpsMean));
      const plain = p.ttftMedianS * Math.exp((p.ttftSigma * p.ttftSigma) / 2) + k * invTps;
      return plain * (1 + p.stragglerRate * ((p.stragglerMinX + p.stragglerMaxX) / 2 - 1));
    }
    case 'vllm': {
      const m = Math.max(1, n);
      return ((p.vllmBaseS + k / p.vllmDecodeTps) * (1 + m / p.nHalf)) / kvEfficiency(p, m);
    }
    case 'flaky': {
      const lognormalMean = p.flakyMedianS * Math.exp((p.flakySigma * p.flakySigma) / 2);
      const c = p.paretoCapS;
      const a = p.paretoAlpha;
      const xm = p.paretoXmS;
      // E[min(Pareto, c)] = x_m·α/(α−1) − x_m^α·c^(1−α)/(α−1)  (α ≠ 1, c ≥ x_m)
      const paretoMean =
        a === 1 ? xm * (1 + Math.log(c / xm)) : (xm * a) / (a - 1) - (xm ** a * c ** (1 - a)) / (a - 1);
      return (1 - p.paretoRate) * lognormalMean + p.paretoRate * paretoMean;
    }
  }
}
