import { AdmissionLimiter, type LimiterSnapshot } from './admission-limiter.ts';
import type { Clock } from './clock.ts';
import { GradientLimit } from './gradient-limit.ts';
import type { Limiter } from './limiter.ts';
import { RatePacer } from './rate-pacer.ts';

export interface AutoLimiterOptions {
  /** Start small: the gradient learns its no-load baseline from the first windows. Default 4. */
  readonly initialLimit?: number;
  readonly minLimit?: number;
  /** Default 1000 (a 30,000 RPM tier needs ≈1,100 calls of 2.2 s in flight). */
  readonly maxLimit?: number;
  readonly clock?: Clock;
  /** Latency inflation accepted over the no-load baseline (see GradientLimit). Default 2.5. */
  readonly tolerance?: number;
}

export type AutoLimiter = Limiter & { snapshot(): LimiterSnapshot; readonly waiting: number };

/**
 * The default `auto` limiter: one admission queue combining
 * - header pacing (RatePacer): against rate limits, admissions follow the provider's buckets and in-flight is
 *   capped by Little's law, so the pool neither idles nor buys 429s;
 * - a gradient limit on latency per output token: against a capacity-bound server it settles near the latency
 *   knee (and, with no load, neither grows nor shrinks);
 * - loss handling: only `congestion` outcomes (429, overloaded 503, timeout) shrink the limit, ×0.9 at most once
 *   per round trip; `ignore` outcomes (random 500s, resets) change nothing;
 * - a pool-wide pause (`pauseUntil`, from a 429's retry hint) holds every admission.
 */
export function createAutoLimiter(options: AutoLimiterOptions = {}): AutoLimiter {
  const minLimit = options.minLimit ?? 1;
  const maxLimit = options.maxLimit ?? 1000;
  const limit = new GradientLimit({
    initialLimit: options.initialLimit ?? 4,
    minLimit,
    maxLimit,
    tolerance: options.tolerance,
  });
  return new AdmissionLimiter({ limit, minLimit, maxLimit, clock: options.clock, pacer: new RatePacer() });
}
