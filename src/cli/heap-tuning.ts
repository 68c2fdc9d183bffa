/**
 * How `sluice run` / `replay` keep their memory small without the user passing V8 flags.
 *
 * V8 sizes its heap to the allocation rate, not to what is live: a job keeps ≈ 40–50 MB live (code, the read-ahead
 * window), yet with default flags its young generation grows to 2 × 16 MB semi-spaces and its old generation to up
 * to 4× the live size between major collections — peak RSS 240 MB for 2,000 records with the LangChain client
 * (whose calls make most of the garbage), 140 MB with undici. Some of V8's flags are read each time they are used,
 * so the process can set them itself, before the job allocates:
 *
 * - `--liftoff-only`: WebAssembly stays on V8's baseline compiler. Both HTTP clients parse responses with llhttp, a
 *   WebAssembly module (undici's, and Node's own fetch under LangChain), and its optimising compile took ≈ 30 MB of
 *   compiler memory on a background thread — a 1-record job peaked at 100 MB RSS instead of 71 — and held the
 *   process ≈ 130 ms at exit while it finished. CPU per record did not measurably change (2,000 and 8,000 records);
 *   a job against a server that answers in a millisecond ran up to ≈ 10 % longer (docs/benchmarks.md).
 * - the young generation grows as V8 likes up to YOUNG_GENERATION_CAP_BYTES, then keeps its size
 *   (`--semi-space-growth-factor=1`; set on the command line V8 raises a factor below 2 back to 2, set at run time it
 *   holds). Held at its initial size it promoted the objects of calls in flight to the old generation, and the
 *   undici path spent ≈ 10 % more CPU; grown to V8's default it cost the LangChain path 128 MB RSS or more.
 * - `--heap-growing-percent=40`: the old generation may grow by 40 % of what the last major collection left live
 *   before the next one, instead of up to 300 %.
 *
 * Why these and not a heap limit (`--max-old-space-size`): a limit must be set before V8 starts (a second process,
 * or NODE_OPTIONS), and a job whose live data outgrows it dies with an out-of-memory crash; these only make
 * collections more frequent. Only flags that V8 reads when it uses them are changed at run time: those it reads
 * when it sets up the heap (sizes) have no effect then, and some (GC threading) crash it. Flags given by the user
 * win: when NODE_OPTIONS or the node command line names any V8 heap flag, no heap flag is changed, and when it names
 * a WebAssembly compiler flag, `--liftoff-only` is not set.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** The young generation as V8 reports it (both semi-spaces): 2 MB each, where by default V8 grows them to 16 MB each. */
export const YOUNG_GENERATION_CAP_BYTES = 4 * 1024 * 1024;

const OLD_GENERATION_FLAG = '--heap-growing-percent=40';
const HOLD_YOUNG_GENERATION_FLAG = '--semi-space-growth-factor=1';
const WASM_BASELINE_FLAG = '--liftoff-only';

/** What a job changes: the flags to set now, and whether to hold the young generation once it reaches its cap. */
export interface JobHeapPlan {
  readonly flags: readonly string[];
  readonly capYoungGeneration: boolean;
}

const USER_HEAP_FLAG =
  /--(max-old-space-size|max-semi-space-size|min-semi-space-size|semi-space-growth-factor|heap-growing-percent|optimize-for-size|initial-old-space-size|initial-heap-size|max-heap-size)\b/;
const USER_WASM_COMPILER_FLAG = /--(no-)?(liftoff|wasm-tier|wasm-dynamic-tiering|wasm-lazy-compilation)/;

/** What to change for a job, given the user's NODE_OPTIONS and node command line (pure; exported for tests). */
export function jobHeapPlan(nodeOptions: string | undefined, execArgv: readonly string[]): JobHeapPlan {
  const given = `${nodeOptions ?? ''} ${execArgv.join(' ')}`.replaceAll('_', '-');
  const heap = !USER_HEAP_FLAG.test(given);
  const wasm = !USER_WASM_COMPILER_FLAG.test(given);
  return {
    flags: [...(wasm ? [WASM_BASELINE_FLAG] : []), ...(heap ? [OLD_GENERATION_FLAG] : [])],
    capYoungGeneration: heap,
  };
}

/** Applies the job's plan to this process (see the header); returns the plan. */
export function tuneHeapForJob(
  env: NodeJS.ProcessEnv = process.env,
  execArgv: readonly string[] = process.execArgv,
): JobHeapPlan {
  const plan = jobHeapPlan(env.NODE_OPTIONS, execArgv);
  for (const flag of plan.flags) setFlagsFromString(flag);
  if (plan.capYoungGeneration) holdYoungGenerationAt(YOUNG_GENERATION_CAP_BYTES);
  return plan;
}

/**
 * After each collection, until the young generation has grown to `capBytes`: then it stops growing. V8 grows it
 * only when many objects survive a scavenge, so a light job never reaches the cap and keeps the observer, which
 * costs one check per collection. The check runs between event-loop turns: code that allocated several young
 * generations without yielding could pass the cap by a doubling or two before it holds; a job yields after each
 * chunk of input or answer.
 */
function holdYoungGenerationAt(capBytes: number): void {
  const observer = new PerformanceObserver(() => {
    const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
    if (!young || young.space_size < capBytes) return;
    setFlagsFromString(HOLD_YOUNG_GENERATION_FLAG);
    observer.disconnect();
  });
  observer.observe({ entryTypes: ['gc'] });
}
