/**
 * Medians and ratios for bench/client-ceiling.ts, and its Markdown report, including the question: can this client reach 0.95 · 500 req/s (`saas-tier5`)? Node runs a client's JavaScript on one
 * thread, so a client needing c CPU µs per record tops out near 1e6 / c records/s on one fully available core;
 * 0.95 · 500 = 475 records/s needs c ≤ 1e6 / 475 ≈ 2,105 µs (before any other load on that core).
 */

export interface CeilingRun {
  readonly variant: string;
  readonly kind: 'pipeline' | 'pipeline-undici' | 'langchain' | 'undici';
  readonly round: number;
  readonly records: number;
  readonly wallMs: number;
  readonly cpuUserUs: number;
  readonly cpuSystemUs: number;
}

export interface CeilingRow {
  readonly variant: string;
  readonly kind: CeilingRun['kind'];
  readonly runs: number;
  /** Median over rounds. */
  readonly recordsPerSecond: number;
  /** Median over rounds, user + system. */
  readonly cpuUsPerRecord: number;
  /** 1e6 / cpuUsPerRecord: records/s if this process had one core to itself. */
  readonly cpuBoundRecordsPerSecond: number;
}

export const TIER5_TARGET = 0.95 * 500;

export function summarizeRuns(runs: readonly CeilingRun[]): CeilingRow[] {
  const names = [...new Set(runs.map((r) => r.variant))];
  return names.map((variant) => {
    const mine = runs.filter((r) => r.variant === variant);
    const recordsPerSecond = median(mine.map((r) => r.records / (r.wallMs / 1000)));
    const cpuUsPerRecord = median(mine.map((r) => (r.cpuUserUs + r.cpuSystemUs) / r.records));
    return {
      variant,
      kind: mine[0]!.kind,
      runs: mine.length,
      recordsPerSecond,
      cpuUsPerRecord,
      cpuBoundRecordsPerSecond: 1e6 / cpuUsPerRecord,
    };
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Targets: sluice's own CPU per record (pipeline minus the bare loop of the same client), the LangChain path against a bare LangChain loop, the undici path in all. */
export const TARGETS = { overheadUs: 300, langchainRatio: 1.1, undiciPathUs: 600 } as const;

export function ceilingMarkdown(result: {
  machine: string;
  command: string;
  input: string;
  records: number;
  rounds: number;
  concurrency: number;
  rows: readonly CeilingRow[];
}): string {
  const { rows } = result;
  const langchain = rows.find((r) => r.kind === 'langchain');
  const undici = rows.find((r) => r.kind === 'undici');
  const fixed = rows.find((r) => r.kind === 'pipeline' && !r.variant.endsWith('auto'));
  const lean = rows.find((r) => r.kind === 'pipeline-undici' && !r.variant.endsWith('auto'));
  const int = (v: number) => Math.round(v).toLocaleString('en-US');
  const met = (ok: boolean) => (ok ? 'met' : '**not met**');
  const lines = [
    '# Client ceiling',
    '',
    `Machine: ${result.machine}.`,
    `Command: \`${result.command}\`. Simulator \`null\` profile (zero latency) in its own process. The pipeline is the job \`sluice run\` builds (cli/build-job.ts: file → read-lines → parse-json → llm-map → stamp → serialize-json → file sink), run in-process by the CLI's runner — no CLI start-up in the numbers. The bare loops do the same job around their client: read and parse the input file, render the prompt, p-limit, write each answer to a file. Input: ${result.input}. One warm-up round, then ${result.rounds} interleaved rounds of ${int(result.records)} records per variant (order rotated each round); medians shown. CPU = process.cpuUsage (user + system) of the client process, V8's background threads included. Ratios from one run.`,
    '',
    '| variant | records/s (wall) | CPU µs / record | records/s per CPU-second |',
    '|---|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.variant} | ${int(r.recordsPerSecond)} | ${int(r.cpuUsPerRecord)} | ${int(r.cpuBoundRecordsPerSecond)} |`,
    ),
    '',
  ];
  if (lean && undici) {
    const overhead = lean.cpuUsPerRecord - undici.cpuUsPerRecord;
    lines.push(
      `- sluice's own CPU per record with the undici client (pipeline − bare undici loop, concurrency ${result.concurrency}): **${int(overhead)} µs** (target ≤ ${TARGETS.overheadUs}: ${met(overhead <= TARGETS.overheadUs)}).`,
    );
    lines.push(
      `- the undici path in all (the whole pipeline per record): **${int(lean.cpuUsPerRecord)} µs** (target ≤ ${TARGETS.undiciPathUs}: ${met(lean.cpuUsPerRecord <= TARGETS.undiciPathUs)}).`,
    );
  }
  if (fixed && langchain) {
    const overhead = fixed.cpuUsPerRecord - langchain.cpuUsPerRecord;
    const ratio = fixed.cpuUsPerRecord / langchain.cpuUsPerRecord;
    lines.push(
      `- sluice's own CPU per record with the LangChain client (pipeline − bare LangChain loop): **${int(overhead)} µs** (target ≤ ${TARGETS.overheadUs}: ${met(overhead <= TARGETS.overheadUs)}).`,
    );
    lines.push(
      `- the LangChain path against a bare LangChain \`withStructuredOutput\` loop, CPU per record: **${ratio.toFixed(2)}×** (target ≤ ${TARGETS.langchainRatio}×: ${met(ratio <= TARGETS.langchainRatio)}).`,
    );
  }
  if (fixed) {
    const verdict =
      fixed.cpuBoundRecordsPerSecond < TIER5_TARGET
        ? 'cannot reach 0.95·X* even with a whole core to itself'
        : `needs ${Math.round((TIER5_TARGET / fixed.cpuBoundRecordsPerSecond) * 100)} % of one core for the client alone at 0.95·X*`;
    lines.push(
      `- saas-tier5 (500 req/s; 0.95·X* = ${TIER5_TARGET} records/s needs ≤ ${int(1e6 / TIER5_TARGET)} CPU µs per record on one core): with LangChain the pipeline ${verdict}` +
        (lean
          ? `; with \`model.client: undici\` it needs ${Math.round((TIER5_TARGET / lean.cpuBoundRecordsPerSecond) * 100)} % of one core.`
          : '.'),
    );
  }
  lines.push('');
  return lines.join('\n');
}
