/**
 * Bench output: the full JSON (timelines included), a Markdown table per profile a person reads at a glance,
 * and one SVG chart per profile (svg-chart.ts). Ratios are measured within one run (docs/architecture.md, house rule 12).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { arch, cpus, platform } from 'node:os';
import { join } from 'node:path';
import { RUN_TIME_BOX_FACTOR, type ProfileResult } from './harness.ts';
import { profileChart } from './svg-chart.ts';

const fmt = (x: number | null | undefined, digits = 1) =>
  x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);

export function machineLine(): string {
  const cpu = cpus();
  return `${platform()} ${arch()}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`;
}

export function markdownReport(results: readonly ProfileResult[], startedAt: Date): string {
  const lines = [
    `# sluice bench — ${startedAt.toISOString()}`,
    '',
    `Machine: ${machineLine()} (shared and noisy: compare ratios within a run).`,
    '',
  ];
  for (const r of results) {
    const sized =
      r.runS !== null
        ? `; runs of ≈ ${r.runS} simulated s: each strategy runs at most X*(C)·${r.runS} s items, C its own in-flight cap, and is stopped after ${RUN_TIME_BOX_FACTOR * r.runS} simulated s (figures then count the items finished)`
        : '';
    const aligned = r.align
      ? `; each measured run starts at simulated second ${r.align.phaseS} of the simulator's ${r.align.periodS} s cycle (brownouts: its last seconds)`
      : '';
    lines.push(
      `## ${r.profile} (time scale ×${r.timeScale}, ${r.runS !== null ? 'up to ' : ''}${r.items} items)`,
      '',
      `X* = ${fmt(r.xStar)} items/s real (bound: ${r.bound}, C* = ${r.cStar ?? '–'}); client ${r.client}; attempt timeout τ = ${fmt(r.attemptTimeoutS, 1)} s real (${fmt(r.attemptTimeoutSimulatedS, 0)} simulated s), the τ X* and X*(C) are computed with; prompt ≈ ${r.promptTokens} tokens, max_tokens ${r.maxTokens}${r.maxLimit !== null ? `; sluice-auto maxLimit ${r.maxLimit}` : ''}${sized}${aligned}; steady state counted after ${fmt(r.steadyAfterS)} s (one simulated minute when rate-limited, else 20 simulated seconds) up to the 95th-percentile completion. X*(C): the limit at the strategy's own cap C. T_min/T: the shortest possible time for these items from full buckets (rate-limited profiles) over the measured time; – when records failed.`,
      '',
      ...(r.littleInFlight !== null
        ? [
            `Little's law at X* with the unloaded mean latency (${fmt(r.unloadedLatencyS, 3)} s real): ${fmt(r.littleInFlight)} calls in flight. Active s: the first attempt → the last answer.`,
            '',
          ]
        : []),
      '| strategy | items | items/s | achieved/X* | steady items/s | steady/X* | X*(C) | steady/X*(C) | T_min/T | active s | 429s per success | wasted attempts per success | p50 ms | p99 ms | steady in flight | max in flight | failed |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const s of r.strategies) {
      const m = s.measures;
      const steadyAtCap = s.xStarAtCap && m.steadyItemsPerS !== null ? m.steadyItemsPerS / s.xStarAtCap : null;
      lines.push(
        `| ${s.strategy} | ${m.items} | ${fmt(m.itemsPerS)} | ${fmt(s.xStarRatio, 2)} | ${fmt(m.steadyItemsPerS)} | ${fmt(s.steadyRatio, 2)} | ${fmt(s.xStarAtCap)} | ${fmt(steadyAtCap, 2)} | ${fmt(s.timeRatio, 2)} | ${fmt(m.activeS, 2)} | ${fmt(s.per429, 3)} | ${fmt(s.wastedPerSuccess, 3)} | ${fmt(m.latencyP50Ms, 0)} | ${fmt(m.latencyP99Ms, 0)} | ${fmt(m.steadyInFlight)} | ${m.maxInFlight} | ${m.failed} |`,
      );
    }
    const notes = r.strategies.filter((s) => s.note).map((s) => `- ${s.strategy}: ${s.note}`);
    lines.push(
      '',
      ...r.strategies.map((s) => `- **${s.strategy}**: ${s.description}`),
      ...notes,
      '',
      `![${r.profile}](${chartName(r)})`,
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}

function chartName(r: ProfileResult): string {
  return `${r.profile}.svg`;
}

/** Writes bench.json, bench.md and one SVG per profile into `dir`; returns the paths written. */
export async function writeReport(dir: string, results: readonly ProfileResult[], startedAt: Date): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  const json = join(dir, 'bench.json');
  await writeFile(
    json,
    `${JSON.stringify({ startedAt: startedAt.toISOString(), machine: machineLine(), results }, null, 1)}\n`,
  );
  written.push(json);
  const md = join(dir, 'bench.md');
  await writeFile(md, markdownReport(results, startedAt));
  written.push(md);
  for (const r of results) {
    const svg = join(dir, chartName(r));
    await writeFile(svg, profileChart(r));
    written.push(svg);
  }
  return written;
}
