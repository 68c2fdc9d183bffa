/**
 * A bench strategy: one way of pushing the same reviews through the same model endpoint. Strategies see the
 * endpoint only through the (counted) ModelClient, and report each item's fate to the recorder.
 */
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import type { ModelClient } from '../llm/model-client.ts';
import type { Recorder } from './recorder.ts';
import type { Review } from './workload.ts';

export interface StrategyContext {
  readonly reviews: readonly Review[];
  readonly pipeline: PipelineConfig;
  /** Counted client (one HTTP attempt per call, no retries). */
  readonly client: ModelClient;
  readonly recorder: Recorder;
  /** The simulator's time scale: strategies with wall-clock constants (the seed's 2 s) scale them by it. */
  readonly timeScale: number;
  readonly signal: AbortSignal;
  /** A fresh client on the same endpoint (for sweeps that must not be counted). */
  readonly makeClient: () => ModelClient;
  /** Resets the simulator's buckets and counters (sweeps start each candidate from full buckets). */
  readonly resetSimulator: () => Promise<void>;
  /** The profile's true rate limits per simulated minute, when it has them (what `known-limits` plans with). */
  readonly limits?: { readonly rpm: number; readonly tpm: number };
}

export interface Strategy {
  readonly name: string;
  readonly description: string;
  /** Only for profiles with rate limits (it plans from them): skipped, with a log line, elsewhere. */
  readonly needsRateLimits?: boolean;
  /** Items this strategy processes at most (the sequential loop gets a sample: its rate is what matters). */
  readonly maxItems?: number;
  /** Runs before the measured run (best-fixed: the sweep). Not measured. */
  prepare?(ctx: StrategyContext): Promise<string | undefined>;
  /** The measured run. `limit()` reads the strategy's in-flight limit at any time. */
  run(ctx: StrategyContext): Promise<void>;
  limit(): number;
  /** In-flight cap C for X* (`/sim/limit?concurrency=C`). */
  cap(): number;
}
