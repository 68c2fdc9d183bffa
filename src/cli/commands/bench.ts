/**
 * `sluice bench [--profile a,b] [--strategies x,y] [--client langchain|undici] [--items N] [--time-scale X]
 * [--run-s S] [--max-limit N] [--out DIR]`: runs the bench
 * strategies side by side against simulator profiles (each simulator in its own process, time-scaled) and
 * writes bench.json, bench.md and one SVG chart per profile into DIR. Progress lines go to stderr; the paths
 * written go to stdout.
 */
import { setMaxListeners } from 'node:events';
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.ts';
import { parseNonNegative, parsePositiveInt } from '../job-options.ts';
import type { BenchProfile } from '../../bench/harness.ts';
import { STRATEGY_NAMES } from '../../bench/strategies/names.ts';
import type { BenchClientKind } from '../../bench/workload.ts';

interface ProfileDefaults {
  readonly timeScale: number;
  readonly items: number;
  /** Simulated seconds per measured run (harness BenchProfile.runS): slow strategies get a sample. */
  readonly runS?: number;
  /** Items the best-fixed sweep runs on (BenchProfile.sweepItems). */
  readonly sweepItems?: number;
  /** sluice-auto's maxLimit (default DEFAULT_MAX_LIMIT). */
  readonly maxLimit?: number;
  /** Phase of the simulator's periodic schedule each measured run starts at (BenchProfile.align). */
  readonly align?: { readonly periodS: number; readonly phaseS: number };
}

const DEFAULT_MAX_LIMIT = 1000;

/**
 * Defaults per profile: a time scale that keeps X* around 50 items/s real — within reach of one LangChain client
 * process on a shared 2-core machine (at ×10 on vllm-gpu the client's own CPU, not the endpoint, was the limit) —
 * and enough items for a steady state after the first simulated minute. Capacity-bound profiles (vllm-gpu,
 * capped-overload) run ≈ 3 simulated minutes (2,700 items; the best-fixed sweep on 900): at 900 items (one
 * simulated minute) the adaptive limiter's ramp from 4 in flight — ≈ 1.5 s real of a 20 s run — decided the
 * overall ranking (sluice-auto 0.89·X* overall at steady 1.00), which a job of millions of records never sees.
 * Two exceptions:
 * - saas-tier5 runs at ×1 (500 req/s real, C* ≈ 1,100 in flight: the point is the client's own cost; use
 *   `--client undici`), runs of ≈ 110 s (the first minute + ≈ 45 s of steady state), sluice-auto's maxLimit 2,000
 *   (the limiter's default 1,000 is within 10% of C*).
 * - flaky-tail runs of ≈ 130 simulated s, each started at phase 45 s of the simulator's 120 s brownout cycle
 *   (brownoutEveryS 120, brownoutS 15: the brownout is the last 15 s of each period since the simulator started),
 *   so every strategy meets one brownout 60–75 simulated s into its run, inside its steady window; at ×3
 *   X*(256) ≈ 390/s real.
 */
const PROFILE_DEFAULTS: Readonly<Record<string, ProfileDefaults>> = {
  'saas-tier1': { timeScale: 6, items: 1200 },
  'saas-tier5': { timeScale: 1, items: 55_000, runS: 110, sweepItems: 3000, maxLimit: 2000 },
  'vllm-gpu': { timeScale: 3, items: 2700, sweepItems: 900 },
  'capped-overload': { timeScale: 3, items: 2700, sweepItems: 900 },
  'flaky-tail': { timeScale: 3, items: 30_000, runS: 130, sweepItems: 1000, align: { periodS: 120, phaseS: 45 } },
  'seed-blog': { timeScale: 2, items: 1000 },
  null: { timeScale: 1, items: 2000 },
};

const CLIENTS: readonly BenchClientKind[] = ['langchain', 'undici'];

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('run limiter strategies side by side against simulator profiles; writes JSON, Markdown and SVG')
    .option(
      '--profile <list>',
      `comma-separated profiles (${Object.keys(PROFILE_DEFAULTS).join(', ')})`,
      'saas-tier1,vllm-gpu,capped-overload',
    )
    .option(
      '--strategies <list>',
      `comma-separated strategies (${STRATEGY_NAMES.join(', ')})`,
      STRATEGY_NAMES.join(','),
    )
    .option('--client <kind>', `model client every strategy calls through (${CLIENTS.join(', ')})`, 'langchain')
    .option('--items <n>', 'items per profile (default: per profile)', parsePositiveInt)
    .option('--time-scale <x>', 'time scale for every profile (default: per profile)')
    .option(
      '--run-s <s>',
      'simulated seconds per measured run: each strategy runs X*(its cap)·S items at most; 0 = all items (default: per profile)',
      parseNonNegative,
    )
    .option(
      '--max-limit <n>',
      `maxLimit of sluice-auto (default: per profile, else ${DEFAULT_MAX_LIMIT})`,
      parsePositiveInt,
    )
    .option(
      '--max-tokens <n>',
      "max_tokens of every request (charged at admission with the prompt: the seed's table used ≈ 131 tokens per call, i.e. 91 here)",
      parsePositiveInt,
      256,
    )
    .option(
      '--reviews <file>',
      'JSON Lines of real reviews (`text`, optional `id`) to use instead of the generated ones (taken in order, repeated when there are fewer than the items)',
    )
    .option('--seed <n>', 'simulator seed', '1')
    .option('--out <dir>', 'output directory', 'bench/limiter/results')
    .action(
      async (opts: {
        profile: string;
        strategies: string;
        client: string;
        items?: number;
        timeScale?: string;
        runS?: number;
        maxLimit?: number;
        maxTokens: number;
        reviews?: string;
        seed: string;
        out: string;
      }) => {
        const names = list(opts.strategies);
        for (const n of names)
          if (!STRATEGY_NAMES.includes(n))
            throw new ConfigError('--strategies', `unknown strategy '${n}' (one of ${STRATEGY_NAMES.join(', ')})`);
        const { items, maxLimit, maxTokens, runS } = opts;
        const timeScale = opts.timeScale === undefined ? undefined : Number(opts.timeScale);
        if (timeScale !== undefined && !(timeScale > 0))
          throw new ConfigError('--time-scale', `must be a number > 0, got '${opts.timeScale}'`);
        const client = opts.client as BenchClientKind;
        if (!CLIENTS.includes(client))
          throw new ConfigError('--client', `must be one of ${CLIENTS.join(', ')}, got '${opts.client}'`);
        const profiles: BenchProfile[] = list(opts.profile).map((profile) => {
          const d = PROFILE_DEFAULTS[profile] ?? { timeScale: 1, items: 1000 };
          const run = runS ?? d.runS;
          return {
            profile,
            timeScale: timeScale ?? d.timeScale,
            items: items ?? d.items,
            sweepItems: d.sweepItems,
            align: d.align,
            runS: run !== undefined && run > 0 ? run : undefined,
            maxLimit: maxLimit ?? d.maxLimit ?? DEFAULT_MAX_LIMIT,
          };
        });
        // One undici pool socket per call in flight: as many as the largest cap any strategy may reach.
        const connections = Math.max(256, ...profiles.map((p) => p.maxLimit ?? DEFAULT_MAX_LIMIT));
        const controller = new AbortController();
        // Every in-flight call listens to this one signal (AbortSignal.any), hundreds at a time.
        setMaxListeners(0, controller.signal);
        const onSignal = () => controller.abort(new Error('interrupted'));
        process.once('SIGINT', onSignal);
        const startedAt = new Date();
        // Loaded on use: the bench's strategies bring LangChain and the simulator client with them.
        const [{ runBench }, { writeReport }, { makeStrategies }, { readReviews }] = await Promise.all([
          import('../../bench/harness.ts'),
          import('../../bench/report.ts'),
          import('../../bench/strategies/index.ts'),
          import('../../bench/workload.ts'),
        ]);
        try {
          const results = await runBench({
            profiles,
            strategies: (p) => makeStrategies(names, { maxLimit: p.maxLimit ?? DEFAULT_MAX_LIMIT }),
            client,
            connections,
            maxTokens,
            reviews: opts.reviews === undefined ? undefined : await readReviews(opts.reviews),
            seed: Number(opts.seed),
            signal: controller.signal,
            log: (line) => process.stderr.write(`${line}\n`),
          });
          for (const path of await writeReport(opts.out, results, startedAt)) process.stdout.write(`${path}\n`);
        } finally {
          process.off('SIGINT', onSignal);
        }
      },
    );
}
