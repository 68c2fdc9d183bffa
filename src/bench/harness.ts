/**
 * `sluice bench`: for each profile, starts the simulator in its own process (time-scaled), then runs every
 * strategy on the same reviews one after the other, resetting the simulator (full buckets, zero counters)
 * before each, and measures them the same way (Recorder). X* comes from the simulator's own formulas
 * (`GET /sim/limit`), so `achieved / X*` is computed in the run's real seconds.
 *
 * Every strategy calls the endpoint through the same client kind (`--client`: the LangChain client or the lean
 * undici one, built with the same create functions `model.client` selects in the CLI), wrapped by the counting
 * Recorder. A profile may bound each measured run to about `runS` simulated seconds (a strategy's item count is
 * then X*(C)·runS for its own cap C): slow strategies get a sample instead of a run far longer than the others.
 */
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ModelConfig } from '../config/pipeline-schema.ts';
import { createLangChainClient } from '../llm/langchain-client.ts';
import type { ModelClient } from '../llm/model-client.ts';
import { createUndiciClient } from '../llm/undici-client.ts';
import { createPromptRenderer } from '../llm/prompt.ts';
import { Recorder, type RunMeasures } from './recorder.ts';
import { startSimProcess, type SimLimitAnswer } from './sim-process.ts';
import type { Strategy, StrategyContext } from './strategy.ts';
import type { Review } from './workload.ts';
import { benchPipeline, benchReviews, type BenchClientKind } from './workload.ts';

export interface BenchProfile {
  readonly profile: string;
  readonly timeScale: number;
  readonly items: number;
  /** `--set key=value` overrides for the simulator. */
  readonly set?: readonly string[];
  /**
   * Simulated seconds each measured run should last: a strategy runs min(items, ⌈X*(C)·runS⌉) items, C its own
   * in-flight cap (at least MIN_RUN_ITEMS). Absent: every strategy runs `items` (capped by its own maxItems).
   */
  readonly runS?: number;
  /** Items a strategy's preparation (the best-fixed sweep) runs on; absent: the same items as its measured run. */
  readonly sweepItems?: number;
  /** sluice-auto's maxLimit on this profile (reported; the strategies factory applies it). */
  readonly maxLimit?: number;
  /**
   * Start every measured run at this phase (simulated seconds) of the simulator's periodic schedule (flaky-tail's
   * brownouts: the last 15 s of every 120 s since it started), so each strategy meets the same brownout at the
   * same point of its run — inside its steady window — instead of wherever its start happened to fall.
   */
  readonly align?: { readonly periodS: number; readonly phaseS: number };
}

/** The smallest sample a `runS`-bounded run gets, whatever its X*(C). */
export const MIN_RUN_ITEMS = 50;

/**
 * A `runS`-bounded run is stopped after RUN_TIME_BOX_FACTOR · runS simulated seconds: a strategy far below X*(C)
 * (the items were sized for X*(C)) would otherwise run many times longer than the others. Its figures are then
 * those of the items finished by then (items/s = successes / time), and the report says it was stopped.
 */
export const RUN_TIME_BOX_FACTOR = 2;

export interface StrategyResult {
  readonly strategy: string;
  readonly description: string;
  readonly note?: string;
  /** Items the run was given; `measures.items` is fewer when the time box stopped it. */
  readonly itemsGiven: number;
  /** Real seconds after which the time box stopped the run, or null (it finished). */
  readonly stoppedAtS: number | null;
  readonly measures: RunMeasures;
  /** X* for this strategy's own in-flight cap C. */
  readonly xStarAtCap: number | null;
  readonly xStarRatio: number | null;
  readonly steadyRatio: number | null;
  readonly per429: number;
  readonly wastedPerSuccess: number;
  /** T_min(N) from full buckets (rate-limited profiles), real seconds, and T_min / duration. */
  readonly tMinS: number | null;
  readonly timeRatio: number | null;
  /** The simulator's own counters for this run (rejections by reason, max in flight, preemptions). */
  readonly simStats: Record<string, unknown>;
}

export interface ProfileResult {
  readonly profile: string;
  readonly timeScale: number;
  readonly items: number;
  /** The model client every strategy used (`--client`). */
  readonly client: BenchClientKind;
  /** The per-attempt timeout τ (real seconds) the strategies used and `/sim/limit` was asked with; and simulated. */
  readonly attemptTimeoutS: number;
  readonly attemptTimeoutSimulatedS: number;
  readonly runS: number | null;
  readonly maxLimit: number | null;
  readonly align: { readonly periodS: number; readonly phaseS: number } | null;
  /** X* with no client cap (the endpoint's physical limit), items per real second. */
  readonly xStar: number | null;
  readonly cStar: number | null;
  readonly bound: string;
  /** Seconds (real) after which the steady state is counted (first simulated minute, or 20 s off rate limits). */
  readonly steadyAfterS: number;
  readonly promptTokens: number;
  readonly maxTokens: number;
  /** Mean latency of one call with nothing else in flight (real s), on rate-limited profiles; else null. */
  readonly unloadedLatencyS: number | null;
  /** X* × that latency: the calls in flight Little's law says the limit needs (rate-limited profiles). */
  readonly littleInFlight: number | null;
  readonly strategies: StrategyResult[];
}

export interface BenchRunOptions {
  readonly profiles: readonly BenchProfile[];
  readonly strategies: (profile: BenchProfile) => Strategy[];
  /** Default `langchain`. */
  readonly client?: BenchClientKind;
  /** Keep-alive connections of each undici client (≥ the largest in-flight cap; default 256). */
  readonly connections?: number;
  readonly maxTokens?: number;
  /** Real reviews to run (benchReviews); absent: generated ones. */
  readonly reviews?: readonly Review[];
  readonly seed?: number;
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
}

export async function runBench(options: BenchRunOptions): Promise<ProfileResult[]> {
  const results: ProfileResult[] = [];
  for (const p of options.profiles) results.push(await runProfile(p, options));
  return results;
}

async function runProfile(p: BenchProfile, options: BenchRunOptions): Promise<ProfileResult> {
  const sim = await startSimProcess({ profile: p.profile, timeScale: p.timeScale, seed: options.seed, set: p.set });
  const clientKind = options.client ?? 'langchain';
  const clients = new BenchClients(clientKind, options.connections);
  try {
    const maxTokens = options.maxTokens ?? 256;
    const pipeline = benchPipeline({
      baseUrl: sim.url,
      timeScale: p.timeScale,
      maxTokens,
      maxAttempts: 6,
      client: clientKind,
    });
    const reviews = benchReviews(p.items, options.reviews);
    const renderer = createPromptRenderer(pipeline.prompt);
    let promptTotal = 0;
    for (const r of reviews) {
      const rendered = renderer.render({ ...r });
      if (rendered.ok) promptTotal += rendered.promptTokenEstimate;
    }
    const promptTokens = Math.round(promptTotal / Math.max(1, reviews.length));
    // τ: the strategies' per-attempt timeout, the same one X*(C) is computed with (flaky-tail depends on it).
    const timeoutS = pipeline.model.timeoutMs / 1000;
    const limitAt = (concurrency: number) => sim.limit({ concurrency, promptTokens, maxTokens, timeoutS });
    const unbounded: SimLimitAnswer = await limitAt(100_000);
    // Steady state: after the first simulated minute where full rate buckets allow a burst; elsewhere after
    // 20 simulated seconds (adaptive strategies start small and ramp up — the ramp is in the full-run figures).
    const rateBound = unbounded.bound === 'rpm' || unbounded.bound === 'tpm';
    const steadyAfterS = (rateBound ? 60 : 20) / p.timeScale;
    options.log(
      `bench ${p.profile} ×${p.timeScale}: ${p.items} items${p.runS ? ` (runs of ≈ ${p.runS} simulated s)` : ''}, client ${clientKind}, ` +
        `τ ${timeoutS} s, X* ${unbounded.xStar}/s (${unbounded.bound}, C* ${unbounded.cStar})`,
    );
    const makeClient = () => clients.make({ model: pipeline.model, baseUrl: sim.url, apiKey: 'sk-bench-0000000000' });
    const { rpm, tpm, meanLatencyS } = unbounded.details;
    const unloadedLatencyS = rateBound && typeof meanLatencyS === 'number' ? meanLatencyS : null;
    const limits = typeof rpm === 'number' && typeof tpm === 'number' ? { rpm, tpm } : undefined;
    const strategies: StrategyResult[] = [];
    for (const strategy of options.strategies(p)) {
      options.signal.throwIfAborted();
      if (strategy.needsRateLimits && !limits) {
        options.log(`  ${strategy.name.padEnd(14)} skipped: ${p.profile} has no rate limits to plan from`);
        continue;
      }
      const ownCap = Math.min(reviews.length, strategy.maxItems ?? reviews.length);
      const prepCtx = (recorder: Recorder, items: readonly Review[]): StrategyContext => ({
        reviews: items,
        pipeline,
        client: recorder.wrap(makeClient()),
        recorder,
        timeScale: p.timeScale,
        signal: options.signal,
        makeClient,
        resetSimulator: () => sim.reset(),
        limits,
      });
      const note = strategy.prepare
        ? await strategy.prepare(prepCtx(new Recorder(), reviews.slice(0, Math.min(ownCap, p.sweepItems ?? ownCap))))
        : undefined;
      // X*(C) for the strategy's own cap (best-fixed knows its C only after the sweep) sizes a runS-bounded run.
      const atCap = await limitAt(strategy.cap());
      const count = runItems(ownCap, atCap.xStar, p);
      if (p.align)
        await sleep(alignWaitS(performance.now() - sim.startedAtMs, p.timeScale, p.align) * 1000, undefined, {
          signal: options.signal,
        });
      await sim.reset();
      const recorder = new Recorder();
      recorder.startSampling(() => strategy.limit(), Math.max(100, Math.round(1000 / Math.max(1, p.timeScale / 5))));
      const boxS = p.runS !== undefined ? (RUN_TIME_BOX_FACTOR * p.runS) / p.timeScale : undefined;
      const stoppedAtS = await runTimeBoxed(boxS, options.signal, (signal) =>
        strategy.run({ ...prepCtx(recorder, reviews.slice(0, count)), signal }),
      );
      const measures = recorder.finish(steadyAfterS, strategy.limit());
      await clients.closeAll();
      const simStats = await sim.stats();
      const finite = await sim.limit({ concurrency: 100_000, promptTokens, maxTokens, items: measures.items });
      const tMinS = typeof finite.details.tMinS === 'number' ? finite.details.tMinS : null;
      const x = unbounded.xStar;
      const stopNote =
        stoppedAtS !== null
          ? `stopped by the time box after ${stoppedAtS.toFixed(0)} s real: ${measures.items} of ${count} items finished`
          : undefined;
      const result: StrategyResult = {
        strategy: strategy.name,
        description: strategy.description,
        note: [note, stopNote].filter(Boolean).join('; ') || undefined,
        itemsGiven: count,
        stoppedAtS,
        measures,
        xStarAtCap: atCap.xStar,
        xStarRatio: x ? measures.itemsPerS / x : null,
        steadyRatio: x && measures.steadyItemsPerS !== null ? measures.steadyItemsPerS / x : null,
        per429: measures.status429 / Math.max(1, measures.succeeded),
        wastedPerSuccess: measures.failedAttempts / Math.max(1, measures.succeeded),
        tMinS,
        timeRatio: tMinS !== null && measures.failed === 0 ? tMinS / measures.durationS : null,
        simStats,
      };
      strategies.push(result);
      options.log(
        `  ${strategy.name.padEnd(14)} ${measures.itemsPerS.toFixed(1).padStart(7)}/s  ` +
          `X* ratio ${result.xStarRatio?.toFixed(2) ?? '-'}  steady ${result.steadyRatio?.toFixed(2) ?? '-'}  T_min/T ${result.timeRatio?.toFixed(2) ?? '-'}  active ${measures.activeS.toFixed(2)} s  ` +
          `steady in flight ${measures.steadyInFlight?.toFixed(1) ?? '-'}  ` +
          `429 ${measures.status429}  failed ${measures.failed}/${measures.items}  ${measures.durationS.toFixed(1)} s${result.note ? `  (${result.note})` : ''}`,
      );
    }
    return {
      profile: p.profile,
      timeScale: p.timeScale,
      items: p.items,
      client: clientKind,
      attemptTimeoutS: timeoutS,
      attemptTimeoutSimulatedS: timeoutS * p.timeScale,
      runS: p.runS ?? null,
      maxLimit: p.maxLimit ?? null,
      align: p.align ?? null,
      xStar: unbounded.xStar,
      cStar: unbounded.cStar,
      bound: unbounded.bound,
      steadyAfterS,
      promptTokens,
      maxTokens,
      strategies,
      unloadedLatencyS,
      littleInFlight: unloadedLatencyS !== null && unbounded.xStar ? unbounded.xStar * unloadedLatencyS : null,
    };
  } finally {
    await clients.closeAll();
    await sim.stop();
  }
}

/**
 * Real seconds to wait until the simulator's model clock (`sinceStartMs` real ms since it started, × timeScale)
 * reaches `phaseS` modulo `periodS` (simulated seconds).
 */
export function alignWaitS(
  sinceStartMs: number,
  timeScale: number,
  align: { periodS: number; phaseS: number },
): number {
  const modelNow = (sinceStartMs / 1000) * timeScale;
  const ahead = (((align.phaseS - modelNow) % align.periodS) + align.periodS) % align.periodS;
  return ahead / timeScale;
}

/**
 * Runs `run` with a signal that also aborts after `boxS` real seconds (none: no box). Returns null when the run
 * finished, else the seconds after which the box stopped it (the strategy's abort error is swallowed only then).
 */
export async function runTimeBoxed(
  boxS: number | undefined,
  parent: AbortSignal,
  run: (signal: AbortSignal) => Promise<void>,
): Promise<number | null> {
  if (boxS === undefined) {
    await run(parent);
    return null;
  }
  const box = new AbortController();
  const signal = AbortSignal.any([parent, box.signal]);
  // Every call in flight listens to it (seed strategies combine it with their own timeout per call).
  setMaxListeners(0, signal);
  const timer = setTimeout(() => box.abort(new Error(`run stopped by the time box after ${boxS} s`)), boxS * 1000);
  try {
    await run(signal);
    return box.signal.aborted ? boxS : null;
  } catch (error) {
    if (!box.signal.aborted || parent.aborted) throw error;
    return boxS;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Items of one measured run: the strategy's own cap (its maxItems, the profile's items), and with `runS` at most
 * ⌈X*(C)·runS⌉ — X*(C) in real items/s, runS simulated seconds, so runS / timeScale real seconds — at least
 * MIN_RUN_ITEMS.
 */
export function runItems(
  ownCap: number,
  xStarAtCapPerS: number | null,
  p: Pick<BenchProfile, 'runS' | 'timeScale'>,
): number {
  if (p.runS === undefined || xStarAtCapPerS === null || !(xStarAtCapPerS > 0)) return ownCap;
  const sized = Math.ceil((xStarAtCapPerS * p.runS) / p.timeScale);
  return Math.min(ownCap, Math.max(MIN_RUN_ITEMS, sized));
}

/**
 * The clients of one profile, built like `model.client` selects them in the CLI (cli/build-job.ts): the LangChain
 * client, or the undici one with a pool of `connections` keep-alive sockets (its default 256 would queue calls
 * inside undici above 256 in flight — saas-tier5 needs ≈ 1,100). Undici pools are closed after each strategy.
 */
class BenchClients {
  readonly #open: Array<{ close(): Promise<void> }> = [];
  constructor(
    readonly kind: BenchClientKind,
    readonly connections = 256,
  ) {}

  make(options: { model: ModelConfig; baseUrl: string; apiKey: string }): ModelClient {
    if (this.kind === 'langchain') return createLangChainClient(options);
    const client = createUndiciClient({ ...options, connections: this.connections });
    this.#open.push(client);
    return client;
  }

  async closeAll(): Promise<void> {
    for (const client of this.#open.splice(0)) await client.close();
  }
}
