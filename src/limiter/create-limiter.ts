import { AdmissionLimiter } from './admission-limiter.ts';
import { AimdLimit } from './aimd-limit.ts';
import { createAutoLimiter, type AutoLimiter } from './auto-limiter.ts';
import type { Clock } from './clock.ts';
import { GradientLimit } from './gradient-limit.ts';
import { FixedLimit } from './limit.ts';
import { RatePacer } from './rate-pacer.ts';

export type LimiterAlgorithm = 'fixed' | 'aimd' | 'gradient' | 'auto';

export interface CreateLimiterOptions {
  readonly algorithm: LimiterAlgorithm;
  /** The fixed limit, or the starting limit of adaptive ones. */
  readonly initialLimit?: number;
  readonly minLimit?: number;
  readonly maxLimit?: number;
  /** Header pacing for `fixed`/`aimd`/`gradient` (always on for `auto`). */
  readonly pacing?: boolean;
  readonly clock?: Clock;
}

/** Builds a limiter by algorithm name (pipeline `concurrency: auto | N`, and the bench's strategies). */
export function createLimiter(options: CreateLimiterOptions): AutoLimiter {
  const { algorithm, minLimit = 1, clock } = options;
  if (algorithm === 'auto') return createAutoLimiter(options);
  const initialLimit = options.initialLimit ?? (algorithm === 'fixed' ? 50 : 4);
  const maxLimit = options.maxLimit ?? (algorithm === 'fixed' ? initialLimit : 1000);
  const limit =
    algorithm === 'fixed'
      ? new FixedLimit(initialLimit)
      : algorithm === 'aimd'
        ? new AimdLimit({ initialLimit, minLimit, maxLimit })
        : new GradientLimit({ initialLimit, minLimit, maxLimit });
  const pacer = options.pacing ? new RatePacer() : undefined;
  return new AdmissionLimiter({ limit, minLimit, maxLimit, clock, pacer });
}
