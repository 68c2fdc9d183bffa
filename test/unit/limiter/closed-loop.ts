/**
 * A synthetic closed-loop server for limiter tests (fake clock, no network): `callers` workers each loop
 * acquire → wait latency(n) → release, where n is the in-flight count at admission (the call itself included).
 */
import type { FakeClock } from '../../../src/limiter/fake-clock.ts';
import type { Limiter } from '../../../src/limiter/limiter.ts';

export interface LoopResult {
  readonly completions: number;
  /** Time-weighted mean in-flight over the measured tail. */
  readonly meanInFlight: number;
  /** Completions per second over the measured tail. */
  readonly throughput: number;
  readonly limits: number[];
}

export async function runClosedLoop(options: {
  clock: FakeClock;
  limiter: Limiter;
  callers: number;
  durationMs: number;
  /** Measure only the last `measureMs`. */
  measureMs: number;
  latencyMs: (inFlight: number) => number;
  outputTokens?: number;
}): Promise<LoopResult> {
  const { clock, limiter } = options;
  const start = clock.now();
  const end = start + options.durationMs;
  const measureFrom = end - options.measureMs;
  const controller = new AbortController();
  let completions = 0;
  let area = 0;
  let lastAt = measureFrom;
  const limits: number[] = [];
  const account = () => {
    const now = clock.now();
    if (now > measureFrom) {
      area += limiter.inFlight * (now - Math.max(lastAt, measureFrom));
      lastAt = now;
    }
  };
  const worker = async () => {
    while (clock.now() < end) {
      const permit = await limiter.acquire({ requests: 1, tokens: 100 }, controller.signal);
      account();
      const latency = options.latencyMs(limiter.inFlight);
      await clock.sleep(latency);
      account();
      permit.release({ kind: 'success', latencyMs: latency, outputTokens: options.outputTokens ?? 100 });
      if (clock.now() > measureFrom) completions++;
    }
  };
  const workers = Array.from({ length: options.callers }, () => worker().catch((error: unknown) => {
    if (!controller.signal.aborted) throw error;
  }));
  for (let t = start; t < end; t += 1000) {
    await clock.advanceTo(t + 1000);
    limits.push(limiter.limit);
  }
  controller.abort();
  await clock.advance(60_000);
  await Promise.all(workers);
  return { completions, meanInFlight: area / options.measureMs, throughput: completions / (options.measureMs / 1000), limits };
}
