/**
 * How `sluice run` / `replay` keep their memory small without the user passing V8 flags.
 *
 * V8 sizes its heap to the allocation rate, not to what is live: a job keeps ≈ 40–50 MB live (code, the read-ahead
 * window), yet with default flags its young generation grows to 2 × 16 MB semi-spaces and its old generation to up
 * to 4× the live size between major collections — peak RSS 240 MB for 2,000 records with the LangChain client
 * (whose calls make most of the garbage), 140 MB with undici. Two of V8's heap-growing heuristics are read at every
 * collection, so the process can set them itself, before the job allocates:
 *
 * - `--semi-space-growth-factor=1`: the young generation keeps its initial size instead of doubling up to 16 MB
 *   (set on the command line, V8 raises a factor below 2 back to 2; set at run time, it holds);
 * - `--heap-growing-percent=40`: the old generation may grow by 40 % of what the last major collection left live
 *   before the next one, instead of up to 300 %.
 *
 * Why these and not a heap limit (`--max-old-space-size`): a limit must be set before V8 starts (a second process,
 * or NODE_OPTIONS), and a job whose live data outgrows it dies with an out-of-memory crash; these only make
 * collections more frequent. The price is CPU, spent in more frequent scavenges and major collections: ≈ 5–15 %
 * more per record on 2,000 records, either client, at the edge of the shared machine's noise (docs/benchmarks.md,
 * "Memory"; letting the young generation grow to 4–8 MB saved no measurable CPU and cost 5–15 MB). Only these
 * two heuristics are changed at run time: flags that V8 reads when it sets up the heap (sizes) have no effect then,
 * and some (GC threading) crash it. Flags given by the user win: when NODE_OPTIONS or the node command line names
 * any V8 heap flag, nothing is changed.
 */
import { setFlagsFromString } from 'node:v8';

export const JOB_HEAP_FLAGS = ['--semi-space-growth-factor=1', '--heap-growing-percent=40'] as const;

const USER_HEAP_FLAG =
  /--(max-old-space-size|max-semi-space-size|min-semi-space-size|semi-space-growth-factor|heap-growing-percent|optimize-for-size|initial-old-space-size|initial-heap-size|max-heap-size)\b/;

/** The flags to set for a job: none when the user already chose heap flags (pure; exported for tests). */
export function jobHeapFlags(nodeOptions: string | undefined, execArgv: readonly string[]): readonly string[] {
  const given = `${nodeOptions ?? ''} ${execArgv.join(' ')}`.replaceAll('_', '-');
  return USER_HEAP_FLAG.test(given) ? [] : JOB_HEAP_FLAGS;
}

/** Sets the job heap flags on this process (see the header); returns the flags it set. */
export function tuneHeapForJob(
  env: NodeJS.ProcessEnv = process.env,
  execArgv: readonly string[] = process.execArgv,
): readonly string[] {
  const flags = jobHeapFlags(env.NODE_OPTIONS, execArgv);
  for (const flag of flags) setFlagsFromString(flag);
  return flags;
}
