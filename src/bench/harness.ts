/**
 * `sluice bench`: for each profile, starts the simulator in its own process (time-scaled), then runs every
 * strategy on the same reviews one after the other, resetting the simulator (full buckets, zero counters)
 * before each, and measures them the same way (Recorder). X* comes from the simulator's own formulas
 * (`GET /sim/limit`), so `achieved / X*` is computed in the run's real seconds.
 */
import { createLangChainClient } from '../llm/langchain-client.ts';
import { createPromptRenderer } from '../llm/prompt.ts';
import { Recorder, type RunMeasures } from './recorder.ts';
import { startSimProcess, type SimLimitAnswer } from './sim-process.ts';
import type { Strategy, StrategyContext } from './strategy.ts';
import { benchPipeline, makeReviews } from './workload.ts';

export interface BenchProfile {
  readonly profile: string;
  readonly timeScale: number;
  readonly items: number;
  /** `--set key=value` overrides for the simulator. */
  readonly set?: readonly string[];
}

export interface StrategyResult {
  readonly strategy: string;
  readonly description: string;
  readonly note?: string;
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
  /** X* with no client cap (the endpoint's physical limit), items per real second. */
  readonly xStar: number | null;
  readonly cStar: number | null;
  readonly bound: string;
  /** Seconds (real) after which the steady state is counted (first simulated minute, or 20 s off rate limits). */
  readonly steadyAfterS: number;
  readonly promptTokens: number;
  readonly maxTokens: number;
  readonly strategies: StrategyResult[];
}

export interface BenchRunOptions {
  readonly profiles: readonly BenchProfile[];
  readonly strategies: () => Strategy[];
  readonly maxTokens?: number;
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
  try {
    const maxTokens = options.maxTokens ?? 256;
    const pipeline = benchPipeline({ baseUrl: sim.url, timeScale: p.timeScale, maxTokens, maxAttempts: 6 });
    const reviews = makeReviews(p.items);
    const renderer = createPromptRenderer(pipeline.prompt);
    let promptTotal = 0;
    for (const r of reviews) {
      const rendered = renderer.render({ ...r });
      if (rendered.ok) promptTotal += rendered.promptTokenEstimate;
    }
    const promptTokens = Math.round(promptTotal / Math.max(1, reviews.length));
    const unbounded: SimLimitAnswer = await sim.limit({ concurrency: 100_000, promptTokens, maxTokens, timeoutS: pipeline.model.timeoutMs / 1000 });
    // Steady state: after the first simulated minute where full rate buckets allow a burst; elsewhere after
    // 20 simulated seconds (adaptive strategies start small and ramp up — the ramp is in the full-run figures).
    const rateBound = unbounded.bound === 'rpm' || unbounded.bound === 'tpm';
    const steadyAfterS = (rateBound ? 60 : 20) / p.timeScale;
    options.log(`bench ${p.profile} ×${p.timeScale}: ${p.items} items, X* ${unbounded.xStar}/s (${unbounded.bound}, C* ${unbounded.cStar})`);
    const makeClient = () => createLangChainClient({ model: pipeline.model, baseUrl: sim.url, apiKey: 'sk-bench-0000000000' });
    const strategies: StrategyResult[] = [];
    for (const strategy of options.strategies()) {
      options.signal.throwIfAborted();
      const items = reviews.slice(0, strategy.maxItems ?? reviews.length);
      const prepCtx = (recorder: Recorder): StrategyContext => ({
        reviews: items, pipeline, client: recorder.wrap(makeClient()), recorder, timeScale: p.timeScale, signal: options.signal,
        makeClient, resetSimulator: () => sim.reset(),
      });
      const note = strategy.prepare ? await strategy.prepare(prepCtx(new Recorder())) : undefined;
      await sim.reset();
      const recorder = new Recorder();
      recorder.startSampling(() => strategy.limit(), Math.max(100, Math.round(1000 / Math.max(1, p.timeScale / 5))));
      await strategy.run(prepCtx(recorder));
      const measures = recorder.finish(steadyAfterS, strategy.limit());
      const simStats = await sim.stats();
      const atCap = await sim.limit({ concurrency: strategy.cap(), promptTokens, maxTokens, timeoutS: pipeline.model.timeoutMs / 1000 });
      const finite = await sim.limit({ concurrency: 100_000, promptTokens, maxTokens, items: measures.items });
      const tMinS = typeof finite.details.tMinS === 'number' ? finite.details.tMinS : null;
      const x = unbounded.xStar;
      const result: StrategyResult = {
        strategy: strategy.name,
        description: strategy.description,
        note,
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
          `X* ratio ${result.xStarRatio?.toFixed(2) ?? '-'}  steady ${result.steadyRatio?.toFixed(2) ?? '-'}  T_min/T ${result.timeRatio?.toFixed(2) ?? '-'}  ` +
          `429 ${measures.status429}  failed ${measures.failed}/${measures.items}${note ? `  (${note})` : ''}`,
      );
    }
    return { profile: p.profile, timeScale: p.timeScale, items: p.items, xStar: unbounded.xStar, cStar: unbounded.cStar, bound: unbounded.bound, steadyAfterS, promptTokens, maxTokens, strategies };
  } finally {
    await sim.stop();
  }
}
