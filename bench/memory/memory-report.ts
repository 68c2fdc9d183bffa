/**
 * Turns RSS samples of a `sluice run` child into the numbers the memory targets are about (peak RSS over the
 * first 100k records, peak over the whole run, RSS at each 100k milestone) and a Markdown report.
 */
import type { Sample } from './process-sampler.ts';

export interface MemoryFigures {
  readonly samplesTaken: number;
  readonly peakRssMb?: number;
  /** The kernel's high-water mark at the last sample (VmHWM): the peak including moments between samples. */
  readonly peakHwmMb?: number;
  /** Peak over the samples taken while at most 100,000 records were written. */
  readonly peakRssFirst100kMb?: number;
  /** peakRssMb / peakRssFirst100kMb − 1 (target ≤ 0.20). */
  readonly growthAfter100k?: number;
  readonly recordsWritten: number;
  /** RSS at the first sample at or past each 100k records. */
  readonly milestones: ReadonlyArray<{ readonly records: number; readonly t: number; readonly rssMb: number }>;
}

const MILESTONE = 100_000;

export function summarizeSamples(samples: readonly Sample[]): MemoryFigures {
  const peak = (list: readonly Sample[]) => (list.length ? Math.max(...list.map((s) => s.rssMb)) : undefined);
  const peakRssMb = peak(samples);
  const peakRssFirst100kMb = peak(samples.filter((s) => s.records <= MILESTONE));
  const milestones: Array<{ records: number; t: number; rssMb: number }> = [];
  for (const s of samples) {
    const next = (milestones.length + 1) * MILESTONE;
    if (s.records >= next) milestones.push({ records: next, t: round(s.t), rssMb: round(s.rssMb) });
  }
  return {
    samplesTaken: samples.length,
    peakRssMb: peakRssMb === undefined ? undefined : round(peakRssMb),
    peakHwmMb: samples.reduce<number | undefined>(
      (max, s) => (s.hwmMb !== undefined && (max === undefined || s.hwmMb > max) ? s.hwmMb : max),
      undefined,
    ),
    peakRssFirst100kMb: peakRssFirst100kMb === undefined ? undefined : round(peakRssFirst100kMb),
    growthAfter100k:
      peakRssMb !== undefined && peakRssFirst100kMb ? round(peakRssMb / peakRssFirst100kMb - 1, 3) : undefined,
    recordsWritten: samples.at(-1)?.records ?? 0,
    milestones,
  };
}

export function memoryMarkdown(
  result: MemoryFigures & {
    machine: string;
    command: string;
    records: number;
    concurrency: string;
    stoppedEarly: boolean;
    maxMinutes: number;
    summary: Record<string, unknown>;
  },
): string {
  const s = result.summary;
  const lines = [
    '# Memory benchmark',
    '',
    `Machine: ${result.machine}.`,
    `Command: \`${result.command}\` — \`sluice run pipelines/review-insights.yaml\` as a child process, input a generated temp file, the simulator's \`null\` profile in its own process, output to a temp file; RSS = VmRSS of the child, sampled every 200 ms. Concurrency: ${result.concurrency}.`,
    '',
    result.stoppedEarly
      ? `**Stopped early**: ${result.records.toLocaleString('en-US')} records would not finish within ${result.maxMinutes} min on this machine; the run was stopped with SIGTERM after ${Number(s.recordsOut ?? 0).toLocaleString('en-US')} records. Nothing is extrapolated.`
      : `Completed: ${Number(s.recordsOut ?? 0).toLocaleString('en-US')} of ${result.records.toLocaleString('en-US')} records written.`,
    '',
    '| measure | value | target |',
    '|---|---:|---|',
    `| peak RSS, first 100k records | ${fmt(result.peakRssFirst100kMb)} MB | ≤ 256 MB |`,
    `| peak RSS, whole run (${result.recordsWritten.toLocaleString('en-US')} records) | ${fmt(result.peakRssMb)} MB | ≤ 256 MB |`,
    `| peak RSS, kernel high-water mark (VmHWM, between samples included) | ${fmt(result.peakHwmMb)} MB | ≤ 256 MB |`,
    `| growth after 100k | ${result.growthAfter100k === undefined ? '—' : `${(result.growthAfter100k * 100).toFixed(1)} %`} | ≤ 20 % |`,
    `| records/s (summary) | ${fmt(Number(s.recordsPerSecond))} | — |`,
    `| wall time | ${fmt(Number(s.wallMs) / 1000)} s | — |`,
    `| out / dead letters / unfinished | ${s.recordsOut} / ${s.deadLetters} / ${s.unfinished} | dead letters 0 |`,
    '',
    'RSS at each 100k records:',
    '',
    '| records | time (s) | RSS (MB) |',
    '|---:|---:|---:|',
    ...result.milestones.map((m) => `| ${m.records.toLocaleString('en-US')} | ${m.t} | ${m.rssMb} |`),
    '',
  ];
  return lines.join('\n');
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function fmt(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(1);
}
