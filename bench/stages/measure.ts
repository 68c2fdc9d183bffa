/**
 * Timing and reporting helpers for bench/stages.ts (see measureAll). Rows of one group are compared with the
 * group's chosen implementation (the one sluice ships) as a ratio, which is the number to trust on a shared,
 * noisy machine (docs/architecture.md, house rule 12).
 */
import { cpus, loadavg, platform, release, totalmem } from 'node:os';

export interface BenchCase {
  /** Group of alternatives compared with each other (`line reading`, `parsing`, ...). */
  readonly group: string;
  readonly name: string;
  /** True for the implementation sluice ships; ratios in the group are relative to it. */
  readonly chosen?: boolean;
  readonly records: number;
  readonly bytes: number;
  readonly notes?: string;
  /** Runs the case once; resolves to the number of records it actually produced (checked against `records`). */
  readonly run: () => Promise<number>;
}

export interface BenchRow {
  readonly group: string;
  readonly name: string;
  readonly chosen: boolean;
  readonly records: number;
  readonly bytes: number;
  readonly runs: number;
  readonly medianMs: number;
  readonly recordsPerSecond: number;
  readonly megabytesPerSecond: number;
  /** records/s of this row divided by the chosen row of its group (1 for the chosen row). */
  readonly ratio?: number;
  readonly notes?: string;
  /** Set when the case was not measured (hook rows). */
  readonly missing?: string;
}

/**
 * Measures every case: one untimed warm-up round (JIT, allocator), then `runs` timed rounds. Rounds are
 * interleaved (case 1, 2, …, n, then again) so a burst of load from other processes spreads over all cases
 * instead of penalising whichever happened to run during it. Reports each case's median.
 */
export async function measureAll(
  cases: readonly BenchCase[],
  runs: number,
  log: (line: string) => void = () => undefined,
): Promise<BenchRow[]> {
  const times: number[][] = cases.map(() => []);
  for (let round = -1; round < runs; round++) {
    for (const [index, bench] of cases.entries()) {
      const started = performance.now();
      const produced = await bench.run();
      const elapsed = performance.now() - started;
      if (produced !== bench.records)
        throw new Error(`${bench.group} / ${bench.name}: produced ${produced} records, expected ${bench.records}`);
      if (round >= 0) times[index]?.push(elapsed);
    }
    log(round < 0 ? 'warm-up round done' : `round ${round + 1}/${runs} done`);
  }
  return cases.map((bench, index) => {
    const sorted = [...(times[index] ?? [])].sort((a, b) => a - b);
    const medianMs = sorted[Math.floor(sorted.length / 2)] as number;
    return {
      group: bench.group,
      name: bench.name,
      chosen: bench.chosen ?? false,
      records: bench.records,
      bytes: bench.bytes,
      runs,
      medianMs,
      recordsPerSecond: bench.records / (medianMs / 1000),
      megabytesPerSecond: bench.bytes / 1e6 / (medianMs / 1000),
      notes: bench.notes,
    };
  });
}

/** Adds the in-group ratio against the chosen row. */
export function withRatios(rows: readonly BenchRow[]): BenchRow[] {
  return rows.map((row) => {
    const chosen = rows.find((r) => r.group === row.group && r.chosen && !r.missing);
    if (!chosen || row.missing) return row;
    return { ...row, ratio: row.recordsPerSecond / chosen.recordsPerSecond };
  });
}

export function machineDescription(): string {
  const cpu = cpus();
  return `${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length} logical CPUs, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${platform()} ${release()}, Node ${process.version}, load average at start ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ')}`;
}

export function markdownTable(rows: readonly BenchRow[]): string {
  const lines = [
    '| group | implementation | records/s | MB/s | ratio vs chosen | notes |',
    '|---|---|---:|---:|---:|---|',
  ];
  for (const row of rows) {
    const name = row.chosen ? `**${row.name}** (chosen)` : row.name;
    if (row.missing) {
      lines.push(`| ${row.group} | ${name} | — | — | — | ${row.missing} |`);
      continue;
    }
    lines.push(
      `| ${row.group} | ${name} | ${formatInt(row.recordsPerSecond)} | ${row.megabytesPerSecond.toFixed(1)} | ${row.ratio === undefined ? '—' : `${row.ratio.toFixed(2)}×`} | ${row.notes ?? ''} |`,
    );
  }
  return lines.join('\n');
}

function formatInt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
