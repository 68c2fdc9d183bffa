/**
 * `sluice bench [--profile a,b] [--strategies x,y] [--items N] [--time-scale X] [--out DIR]`: runs the bench
 * strategies side by side against simulator profiles (each simulator in its own process, time-scaled) and
 * writes bench.json, bench.md and one SVG chart per profile into DIR. Progress lines go to stderr; the paths
 * written go to stdout.
 */
import { setMaxListeners } from 'node:events';
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.ts';
import { runBench, type BenchProfile } from '../../bench/harness.ts';
import { writeReport } from '../../bench/report.ts';
import { STRATEGY_NAMES, makeStrategies } from '../../bench/strategies/index.ts';

/**
 * Defaults per profile: a time scale that keeps X* around 50 items/s real — within reach of one LangChain client
 * process on a shared 2-core machine (at ×10 on vllm-gpu the client's own CPU, not the endpoint, was the limit) —
 * and enough items for a steady state after the first simulated minute.
 */
const PROFILE_DEFAULTS: Readonly<Record<string, { timeScale: number; items: number }>> = {
  'saas-tier1': { timeScale: 6, items: 1200 },
  'saas-tier5': { timeScale: 1, items: 3000 }, // client-bound at 500/s: measures the client, see docs/bench.md
  'vllm-gpu': { timeScale: 3, items: 900 },
  'capped-overload': { timeScale: 3, items: 900 },
  'flaky-tail': { timeScale: 0.5, items: 1500 },
  'seed-blog': { timeScale: 2, items: 1000 },
  null: { timeScale: 1, items: 2000 },
};

const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('run limiter strategies side by side against simulator profiles; writes JSON, Markdown and SVG')
    .option('--profile <list>', `comma-separated profiles (${Object.keys(PROFILE_DEFAULTS).join(', ')})`, 'saas-tier1,vllm-gpu,capped-overload')
    .option('--strategies <list>', `comma-separated strategies (${STRATEGY_NAMES.join(', ')})`, STRATEGY_NAMES.join(','))
    .option('--items <n>', 'items per profile (default: per profile)')
    .option('--time-scale <x>', 'time scale for every profile (default: per profile)')
    .option('--max-limit <n>', 'maxLimit of sluice-auto', '1000')
    .option('--seed <n>', 'simulator seed', '1')
    .option('--out <dir>', 'output directory', 'bench/limiter/results')
    .action(async (opts: { profile: string; strategies: string; items?: string; timeScale?: string; maxLimit: string; seed: string; out: string }) => {
      const names = list(opts.strategies);
      for (const n of names) if (!STRATEGY_NAMES.includes(n)) throw new ConfigError('--strategies', `unknown strategy '${n}' (one of ${STRATEGY_NAMES.join(', ')})`);
      const items = opts.items === undefined ? undefined : Number(opts.items);
      if (items !== undefined && !(Number.isInteger(items) && items > 0)) throw new ConfigError('--items', `must be an integer ≥ 1, got '${opts.items}'`);
      const timeScale = opts.timeScale === undefined ? undefined : Number(opts.timeScale);
      if (timeScale !== undefined && !(timeScale > 0)) throw new ConfigError('--time-scale', `must be a number > 0, got '${opts.timeScale}'`);
      const maxLimit = Number(opts.maxLimit);
      if (!(Number.isInteger(maxLimit) && maxLimit > 0)) throw new ConfigError('--max-limit', `must be an integer ≥ 1, got '${opts.maxLimit}'`);
      const profiles: BenchProfile[] = list(opts.profile).map((profile) => {
        const d = PROFILE_DEFAULTS[profile] ?? { timeScale: 1, items: 1000 };
        return { profile, timeScale: timeScale ?? d.timeScale, items: items ?? d.items };
      });
      const controller = new AbortController();
      // Every in-flight call listens to this one signal (AbortSignal.any), hundreds at a time.
      setMaxListeners(0, controller.signal);
      const onSignal = () => controller.abort(new Error('interrupted'));
      process.once('SIGINT', onSignal);
      const startedAt = new Date();
      try {
        const results = await runBench({
          profiles,
          strategies: () => makeStrategies(names, { maxLimit }),
          seed: Number(opts.seed),
          signal: controller.signal,
          log: (line) => process.stderr.write(`${line}\n`),
        });
        for (const path of await writeReport(opts.out, results, startedAt)) process.stdout.write(`${path}\n`);
      } finally {
        process.off('SIGINT', onSignal);
      }
    });
}
