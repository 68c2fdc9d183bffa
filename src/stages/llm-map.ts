import { setTimeout as sleep } from 'node:timers/promises';
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import type { AdmissionGate } from '../core/admission-gate.ts';
import { boundedMap } from '../core/bounded-map.ts';
import { isNotStarted, type Envelope, type GatedEnvelope, type OkEnvelope } from '../core/envelope.ts';
import type { RunStats } from '../core/run-stats.ts';
import { SignalFanout } from '../core/signal-fanout.ts';
import type { GatedStage } from '../core/stage.ts';
import type { Limiter } from '../limiter/limiter.ts';
import { noopObserver, type CallObserver } from '../llm/call-observer.ts';
import type { ExecuteCallDeps } from '../llm/execute-call.ts';
import { mapRecord, type MapRecordContext, type OutputRecord } from '../llm/map-record.ts';
import type { ModelClient } from '../llm/model-client.ts';
import { compileOutputSchema } from '../llm/output-schema.ts';
import { createPromptRenderer } from '../llm/prompt.ts';
import { createRetryBudget, type RetryBudget } from '../llm/retry-budget.ts';
import { FailureStreak } from '../llm/failure-streak.ts';
import { MissingFieldWatch } from '../llm/missing-field-watch.ts';

export type { OutputRecord } from '../llm/map-record.ts';

/**
 * llm-map: concurrent model calls over a bounded window with real backpressure (docs/architecture.md, house rule 4).
 *
 * Window contract: at most `window` records are pulled from the source and not yet emitted (an outstanding
 * `next()` counts as one). Ordered (default), a finished record waits behind the oldest unfinished one (head of
 * line), so the source is never read more than `window` ahead of the slowest record; unordered, records are
 * emitted as they finish and the window bounds the records in progress. While the consumer does not pull, nothing
 * new is read. Concurrency of the actual calls is the limiter's (a FixedLimiter resized live takes effect at the
 * next admission); the window keeps the limiter's queue bounded.
 *
 * Failed envelopes pass through in place. A record-level failure becomes a failed envelope; a record whose call
 * the closed gate kept from starting comes out not started (core/envelope `NotStartedEnvelope`: `dropNotStarted`
 * must follow); an abort, or a job stop (quota exhausted) without a gate, tears the stage down with that error
 * after cancelling the calls still in progress.
 */
export interface LlmMapOptions {
  readonly pipeline: PipelineConfig;
  readonly client: ModelClient;
  readonly limiter: Limiter;
  readonly observer?: CallObserver;
  readonly stats: RunStats;
  /** Default: `pipeline.ordered`. */
  readonly ordered?: boolean;
  /** Read-ahead window. Default: `limiter.maxLimit`. */
  readonly window?: number;
  /** The job's door for new calls (core/admission-gate): once closed, records whose call had not started come out not started. */
  readonly gate?: AdmissionGate;
  /** Job-wide retry budget; default: a new one from `pipeline.retries.budgetRatio`. */
  readonly budget?: RetryBudget;
  /** Injected for tests; defaults are the real clock, randomness and abortable timers. */
  readonly sleep?: ExecuteCallDeps['sleep'];
  readonly random?: () => number;
  readonly now?: () => number;
}

export function llmMap(options: LlmMapOptions): GatedStage<Record<string, unknown>, OutputRecord> {
  const { pipeline, limiter } = options;
  const ordered = options.ordered ?? pipeline.ordered;
  const window = options.window ?? limiter.maxLimit;
  if (!Number.isInteger(window) || window < 1)
    throw new RangeError(`llm-map window must be an integer ≥ 1 (got ${window})`);
  const context = createMapRecordContext(options);

  return async function* llmMapStage(source, ctx) {
    const calls = new AbortController();
    const outer = ctx?.signal ?? calls.signal; // run alone (no pipeline signal): only our own cancellation
    const signal = AbortSignal.any([outer, calls.signal]);
    // Each record listens on signals of its own (permit wait, deadline, backoff), children of the stage's: one
    // listener per stage signal instead of one per record in the window (core/signal-fanout says why).
    const callSignals = new SignalFanout(signal);
    const waitSignals = options.gate ? new SignalFanout(options.gate.waitSignal(signal)) : undefined;
    const mapOne = async (envelope: OkEnvelope<Record<string, unknown>>): Promise<GatedEnvelope<OutputRecord>> => {
      const call = callSignals.child();
      const wait = waitSignals?.child();
      try {
        return await mapRecord(envelope, context, call.signal, wait?.signal);
      } finally {
        call.release();
        wait?.release();
      }
    };
    // Earlier failures pass through untouched, in place; the rest go to the model.
    const map = (envelope: Envelope<Record<string, unknown>>): Promise<GatedEnvelope<OutputRecord>> =>
      (envelope.failure ? Promise.resolve(envelope) : mapOne(envelope)).then((done) => {
        countAnswered(options.stats, done);
        return done;
      });
    let finished = false;
    try {
      yield* boundedMap(source, map, { window, ordered, signal: outer });
      finished = true;
    } finally {
      if (!finished) calls.abort(new Error('llm-map stopped before its calls finished'));
    }
  };
}

/** `stats.answered`: a record the stage is done with — not one a stopping job left unstarted (unfinished). */
export function countAnswered(stats: RunStats, envelope: GatedEnvelope<unknown>): void {
  if (!isNotStarted(envelope)) stats.answered++;
}

/** What every record's model call needs, built once per stage (packed or not): templates and schema compiled once. */
export function createMapRecordContext(options: LlmMapOptions): MapRecordContext {
  const { pipeline } = options;
  return {
    pipeline,
    renderer: createPromptRenderer(pipeline.prompt),
    schema: compileOutputSchema(pipeline.output.schema),
    ...(options.gate && { fieldWatch: new MissingFieldWatch() }),
    deps: {
      client: options.client,
      limiter: options.limiter,
      observer: options.observer ?? noopObserver,
      retries: pipeline.retries,
      budget: options.budget ?? createRetryBudget({ ratio: pipeline.retries.budgetRatio }),
      stats: options.stats,
      sleep: options.sleep ?? ((ms, signal) => sleep(ms, undefined, { signal })),
      random: options.random ?? Math.random,
      now: options.now ?? Date.now,
      gate: options.gate,
      streak: new FailureStreak(),
    },
  };
}
