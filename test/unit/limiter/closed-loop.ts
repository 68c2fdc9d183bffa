/**
 * A synthetic closed loop for limiter tests (fake clock, no network): `callers` workers each loop
 * acquire → call → release, like llm-map with a full window. `call` plays the server: it sleeps on the fake
 * clock and returns the outcome. After a congestion outcome the worker backs off `backoffMs` without a permit
 * (docs/architecture.md, house rule 5), as the retry layer does.
 */
import type { FakeClock } from '../../support/fake-clock.ts';
import type { CallCost, CallOutcome, Limiter } from '../../../src/limiter/limiter.ts';

export interface LoopResult {
  /** Successes finished inside the measured tail. */
  readonly successes: number;
  readonly congestions: number;
  /** Time-weighted mean in-flight over the measured tail. */
  readonly meanInFlight: number;
  /** Successes per second over the measured tail. */
  readonly throughput: number;
  /** The limiter's limit, once per simulated second. */
  readonly limits: number[];
}

export async function runClosedLoop(options: {
  clock: FakeClock;
  limiter: Limiter;
  callers: number;
  durationMs: number;
  /** Measure only the last `measureMs`. */
  measureMs: number;
  cost?: CallCost;
  backoffMs?: number;
  call: () => Promise<CallOutcome>;
}): Promise<LoopResult> {
  const { clock, limiter } = options;
  const start = clock.now();
  const end = start + options.durationMs;
  const measureFrom = end - options.measureMs;
  // One controller per worker: thousands of listeners on one shared signal make addEventListener the hot spot.
  const controllers: AbortController[] = [];
  let successes = 0;
  let congestions = 0;
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
  const worker = async (controller: AbortController) => {
    while (clock.now() < end) {
      const permit = await limiter.acquire(options.cost ?? { requests: 1, tokens: 100 }, controller.signal);
      account();
      const outcome = await options.call();
      account();
      permit.release(outcome);
      const measured = clock.now() > measureFrom;
      if (outcome.kind === 'success' && measured) successes++;
      if (outcome.kind === 'congestion') {
        if (measured) congestions++;
        await clock.sleep(options.backoffMs ?? 500, controller.signal);
      }
    }
  };
  const workers = Array.from({ length: options.callers }, () => {
    const controller = new AbortController();
    controllers.push(controller);
    return worker(controller).catch((error: unknown) => {
      if (!controller.signal.aborted) throw error;
    });
  });
  for (let t = start; t < end; t += 1000) {
    await clock.advanceTo(t + 1000);
    limits.push(limiter.limit);
  }
  for (const controller of controllers) controller.abort();
  await clock.advance(600_000);
  await Promise.all(workers);
  return {
    successes,
    congestions,
    meanInFlight: area / options.measureMs,
    throughput: successes / (options.measureMs / 1000),
    limits,
  };
}
