import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import type { Envelope } from '../core/envelope.ts';
import type { RunStats } from '../core/run-stats.ts';
import type { Stage } from '../core/stage.ts';
import type { Limiter } from '../limiter/limiter.ts';
import { noopObserver, type CallObserver } from '../llm/call-observer.ts';
import type { ExecuteCallDeps } from '../llm/execute-call.ts';
import { mapRecord, type MapRecordContext, type OutputRecord } from '../llm/map-record.ts';
import type { ModelClient } from '../llm/model-client.ts';
import { compileOutputSchema } from '../llm/output-schema.ts';
import { createPromptRenderer } from '../llm/prompt.ts';
import { createRetryBudget, type RetryBudget } from '../llm/retry-budget.ts';

export type { OutputRecord } from '../llm/map-record.ts';

/**
 * llm-map: concurrent model calls over a bounded window with real backpressure (ARCHITECTURE rule 4).
 *
 * Window contract: at most `window` records are pulled from the source and not yet emitted (an outstanding
 * `next()` counts as one). Ordered (default), a finished record waits behind the oldest unfinished one (head of
 * line), so the source is never read more than `window` ahead of the slowest record; unordered, records are
 * emitted as they finish and the window bounds the records in progress. While the consumer does not pull, nothing
 * new is read. Concurrency of the actual calls is the limiter's (a FixedLimiter resized live takes effect at the
 * next admission); the window keeps the limiter's queue bounded.
 *
 * Failed envelopes pass through in place. A record-level failure becomes a failed envelope; an abort or a job
 * stop (quota exhausted) tears the stage down with that error after cancelling the calls still in progress.
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
  /** Job-wide retry budget; default: a new one from `pipeline.retries.budgetRatio`. */
  readonly budget?: RetryBudget;
  /** Injected for tests; defaults are the real clock, randomness and abortable timers. */
  readonly sleep?: ExecuteCallDeps['sleep'];
  readonly random?: () => number;
  readonly now?: () => number;
}

interface Slot {
  done: boolean;
  result?: Envelope<OutputRecord>;
}

export function llmMap(options: LlmMapOptions): Stage<Record<string, unknown>, OutputRecord> {
  const { pipeline, limiter } = options;
  const ordered = options.ordered ?? pipeline.ordered;
  const window = options.window ?? limiter.maxLimit;
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`llm-map window must be an integer ≥ 1 (got ${window})`);
  const context = createMapRecordContext(options);

  return async function* llmMapStage(source, ctx) {
    const calls = new AbortController();
    const outer = ctx?.signal ?? calls.signal; // run alone (no pipeline signal): only our own cancellation
    const signal = AbortSignal.any([outer, calls.signal]);
    // Every record in the window may wait on this signal at once (limiter admission, backoff, the call itself).
    setMaxListeners(4 * window + 16, signal);
    const iterator = source[Symbol.asyncIterator]();
    const slots: Slot[] = []; // ordered: input order, head first; unordered: finished, not yet emitted
    let inProgress = 0;
    const state: { fatal?: { error: unknown } } = {};
    let next: Promise<IteratorResult<Envelope<Record<string, unknown>>>> | undefined;
    let sourceDone = false;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };

    const start = (envelope: Envelope<Record<string, unknown>>): void => {
      const slot: Slot = { done: false };
      if (ordered) slots.push(slot);
      inProgress++;
      mapRecord(envelope, context, signal).then(
        (result) => {
          inProgress--;
          slot.done = true;
          slot.result = result;
          if (!ordered) slots.push(slot);
          notify();
        },
        (error: unknown) => {
          inProgress--;
          state.fatal ??= { error };
          notify();
        },
      );
    };
    const held = (): number => (ordered ? slots.length : inProgress + slots.length);

    try {
      for (;;) {
        throwIfFatal(state);
        outer.throwIfAborted();
        // Emit whatever is ready (ordered: only the finished head of line).
        while (slots.length > 0 && slots[0]!.done) {
          const slot = slots.shift()!;
          yield slot.result!;
          throwIfFatal(state);
        }
        if (!sourceDone && next === undefined && held() < window) next = iterator.next();
        if (sourceDone && held() === 0) return;

        // Sleep until a record finishes or the source delivers.
        const woken = new Promise<'task'>((resolve) => (wake = () => resolve('task')));
        const winner = await (next ? Promise.race([next, woken]) : woken);
        if (winner === 'task') continue;
        next = undefined;
        if (winner.done) {
          sourceDone = true;
          continue;
        }
        const envelope = winner.value;
        if (envelope.failure) {
          // Earlier failures pass through untouched, in place.
          const slot: Slot = { done: true, result: envelope as unknown as Envelope<OutputRecord> };
          slots.push(slot);
        } else {
          start(envelope);
        }
      }
    } finally {
      wake = undefined;
      if (inProgress > 0) calls.abort(new Error('llm-map stopped before its calls finished'));
      if (!sourceDone) await iterator.return?.();
    }
  };
}

function throwIfFatal(state: { fatal?: { error: unknown } }): void {
  if (state.fatal) throw state.fatal.error;
}

/** What every record's model call needs, built once per stage (packed or not): templates and schema compiled once. */
export function createMapRecordContext(options: LlmMapOptions): MapRecordContext {
  const { pipeline } = options;
  return {
    pipeline,
    renderer: createPromptRenderer(pipeline.prompt),
    schema: compileOutputSchema(pipeline.output.schema),
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
    },
  };
}
