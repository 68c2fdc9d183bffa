/**
 * Telemetry cost: `sluice run` on the simulator's `null` profile (zero model latency: measures sluice's own
 * ceiling, where tracing costs the most in relative terms) with telemetry OFF vs ON, alternated in one run
 * (ABAB…) so machine noise hits both alike. ON = the CLI configured only by OTEL_* variables, exporting spans
 * (every call span, its attempt and limiter-wait children) and metrics over OTLP http/protobuf — the SDK
 * default — to a receiver on loopback that acknowledges without decoding.
 * Target: throughput cost ≤ 5%.
 *
 *   npx tsx bench/telemetry.ts [--records N] [--rounds R] [--concurrency C] [--diagnose]
 *
 * Reports, per variant: marginal CPU time per record — (CPU of an N-record run − CPU of an N/4-record run) /
 * (3N/4), read from the sluice process itself at exit, so fixed costs (loading the SDK, the final flush) and
 * machine load (other processes) cancel out; records/s from each run's own summary (wall clock: noisy when the
 * machine is shared); and the process wall time. Whole-process numbers still swing by ±30% on a loaded 2-core
 * machine, so the target is judged on a load-robust estimate: the observers' own CPU per call (measured
 * in-process, `--micro`) divided by sluice's CPU per record with telemetry off.
 * Writes bench/results/telemetry.json and bench/results/telemetry.md.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateReviews } from './data/generate-reviews.ts';
import { machineDescription } from './stages/measure.ts';
import { startOtlpReceiver } from '../test/support/otlp-receiver.ts';

/**
 * `--micro none|full` (internal, run as a child process): the observers' own CPU per logical call, isolated from
 * the rest of sluice — `full` drives the span + metrics observers (the ones `sluice run` uses) with the SDK
 * started from OTEL_* variables and everything exported over OTLP http/protobuf to the parent's receiver; `none`
 * drives the same loop with no SDK. Calls are paced (a 10 ms pause every 100 calls, not counted: CPU time is
 * measured) so the batch span processor keeps up, as it does at sluice's real rates, instead of dropping spans.
 */
async function microMode(mode: string, calls: number): Promise<void> {
  const { metrics } = await import('@opentelemetry/api');
  const { startTelemetry } = await import('../src/telemetry/sdk.ts');
  const { createOtelCallObserver } = await import('../src/telemetry/otel-call-observer.ts');
  const { createCallMetricsObserver } = await import('../src/telemetry/call-metrics-observer.ts');
  const { combineCallObservers } = await import('../src/telemetry/combine-call-observers.ts');
  const telemetry = mode === 'full' ? await startTelemetry({ serviceName: 'sluice-bench-micro' }) : undefined;
  const server = 'http://127.0.0.1:4000/v1';
  const observer = combineCallObservers(
    createOtelCallObserver({ serverAddress: server }),
    createCallMetricsObserver(metrics.getMeter('sluice'), { serverAddress: server }),
  );
  const usage = { inputTokens: 140, outputTokens: 30 };
  const one = async (i: number): Promise<void> => {
    const scope = observer.startCall({
      model: 'gpt-4o-mini',
      provider: 'openai',
      recordIds: [`gen-${i}`],
      schemaName: 'review_insight',
      maxTokens: 256,
    });
    await scope.run(async () => {
      scope.permitWaited(i % 4 === 0 ? 2 : 0);
      scope.attemptStarted(1);
      await Promise.resolve();
      scope.attemptEnded({
        attempt: 1,
        status: 200,
        latencyMs: 3,
        usage,
        finishReason: 'stop',
        responseModel: 'gpt-4o-mini-2024-07-18',
      });
    });
    scope.end({ ok: true, attempts: 1, usage, finishReason: 'stop', responseModel: 'gpt-4o-mini-2024-07-18' });
  };
  const loop = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      await one(i);
      if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  await loop(1000); // warm-up (JIT)
  const before = process.cpuUsage();
  await loop(calls);
  await telemetry?.shutdown();
  const cpu = process.cpuUsage(before);
  process.stdout.write(`${JSON.stringify({ mode, calls, cpuUsPerCall: (cpu.user + cpu.system) / calls })}\n`);
}

const microIndex = process.argv.indexOf('--micro');
if (microIndex >= 0) {
  await microMode(
    process.argv[microIndex + 1] ?? 'none',
    Number(process.argv[process.argv.indexOf('--calls') + 1] ?? 20000),
  );
  process.exit(0);
}

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
};
const records = arg('records', 5000);
const rounds = arg('rounds', 3);
const concurrency = arg('concurrency', 64);
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin/sluice.js');

const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-otel-'));
const lines = [...generateReviews(records)];
const large = { path: join(dir, 'large.jsonl'), records };
/** A quarter-size input: the CPU difference between the two sizes is the per-record cost, fixed costs removed. */
const small = { path: join(dir, 'small.jsonl'), records: Math.max(1, Math.floor(records / 4)) };
await writeFile(large.path, `${lines.join('\n')}\n`);
await writeFile(small.path, `${lines.slice(0, small.records).join('\n')}\n`);

const sim = spawn(process.execPath, [bin, 'sim', '--profile', 'null', '--port', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const simUrl = await new Promise<string>((resolve, reject) => {
  let out = '';
  sim.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const line = out.split('\n')[0];
    if (out.includes('\n') && line) resolve(line.trim());
  });
  sim.once('exit', (code) => reject(new Error(`simulator exited early with code ${code}`)));
});
const receiver = await startOtlpReceiver({ acceptProtobuf: true });

/**
 * Variants: `off` and `on` always; `--diagnose` adds `sampled-out` (SDK started, context manager on, every span
 * sampled out, no metrics) and `metrics-only` (no traces) to split the cost between context propagation, span
 * recording/export and metrics.
 */
const VARIANTS: Record<string, (url: string) => Record<string, string>> = {
  off: () => ({}),
  on: (url) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: url }),
  'sampled-out': (url) => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: url,
    OTEL_TRACES_SAMPLER: 'always_off',
    OTEL_METRICS_EXPORTER: 'none',
  }),
  'metrics-only': (url) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_TRACES_EXPORTER: 'none' }),
};
const modes = process.argv.includes('--diagnose') ? Object.keys(VARIANTS) : ['off', 'on'];
type Mode = string;

interface RunResult {
  readonly mode: Mode;
  readonly records: number;
  readonly recordsPerSecond: number;
  readonly processMs: number;
  /** CPU time (user + system) the sluice process used, ms, written by the probe at its exit. */
  readonly cpuMs: number;
}

/** Preloaded into each sluice process: writes its own CPU usage at exit (CPU time is robust to machine load). */
const CPU_PROBE =
  'data:text/javascript,import{writeFileSync}from"node:fs";process.on("exit",()=>writeFileSync(process.env.SLUICE_BENCH_CPU_OUT,JSON.stringify(process.cpuUsage())))';

async function runOnce(mode: Mode, n: number, file: { path: string; records: number }): Promise<RunResult> {
  const summaryPath = join(dir, `summary-${mode}-${n}.json`);
  const cpuPath = join(dir, `cpu-${mode}-${n}.json`);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    OPENAI_API_KEY: 'sk-bench-not-a-key',
    SLUICE_BENCH_CPU_OUT: cpuPath,
  };
  const variant = VARIANTS[mode];
  if (!variant) throw new Error(`unknown variant ${mode}`);
  Object.assign(env, variant(receiver.url), mode === 'off' ? {} : { OTEL_SERVICE_NAME: 'sluice-bench' });
  const args = [
    '--import',
    CPU_PROBE,
    bin,
    'run',
    'pipelines/review-insights.yaml',
    '-i',
    file.path,
    '-o',
    join(dir, `out-${mode}-${n}.jsonl`),
    '--base-url',
    simUrl,
  ];
  args.push('-c', String(concurrency), '--no-progress', '--summary-json', summaryPath);
  const started = performance.now();
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (exitCode) => resolve({ code: exitCode, stderr: err }));
  });
  const processMs = performance.now() - started;
  if (code !== 0) throw new Error(`run ${mode} exited with ${code}: ${stderr}`);
  const summary = JSON.parse(await readFile(summaryPath, 'utf8')) as { recordsOut: number; recordsPerSecond: number };
  if (summary.recordsOut !== file.records)
    throw new Error(`run ${mode}: ${summary.recordsOut} of ${file.records} records out`);
  const cpu = JSON.parse(await readFile(cpuPath, 'utf8')) as { user: number; system: number };
  return {
    mode,
    records: file.records,
    recordsPerSecond: summary.recordsPerSecond,
    processMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function microRun(mode: 'none' | 'full', calls: number): Promise<number> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_MAX_QUEUE_SIZE: '8192',
  };
  const self = fileURLToPath(import.meta.url);
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', self, '--micro', mode, '--calls', String(calls)], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`micro ${mode} exited with ${code}`))));
  });
  return (JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { cpuUsPerCall: number }).cpuUsPerCall;
}

/**
 * Share of the sluice process's busy main-thread CPU spent in telemetry code, from a V8 CPU profile: each sample
 * is charged to the innermost frame that belongs to a package or to sluice (Node internals are charged to their
 * caller), and counts as telemetry when that frame is in `@opentelemetry/*` or `src/telemetry/`. Samples under
 * module loading (the loaders, or a module's top-level code) are left out: a one-off cost. A ratio inside one
 * profile, so machine load cancels out.
 */
async function telemetryShare(
  mode: Mode,
): Promise<{ busyMs: number; telemetryMs: number; gcMs: number; share: number }> {
  const profDir = join(dir, `prof-${mode}`);
  const cpuPath = join(dir, `cpu-prof-${mode}.json`);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    OPENAI_API_KEY: 'sk-bench-not-a-key',
    SLUICE_BENCH_CPU_OUT: cpuPath,
  };
  Object.assign(env, VARIANTS[mode]!(receiver.url));
  const args = [
    '--cpu-prof',
    `--cpu-prof-dir=${profDir}`,
    bin,
    'run',
    'pipelines/review-insights.yaml',
    '-i',
    large.path,
    '-o',
    join(dir, `out-prof-${mode}.jsonl`),
  ];
  args.push('--base-url', simUrl, '-c', String(concurrency), '--no-progress');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`profiled run ${mode} exited with ${code}`)),
    );
  });
  interface Node {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
    children?: number[];
  }
  interface Profile {
    nodes: Node[];
    samples: number[];
    timeDeltas: number[];
  }
  let best: { busyMs: number; telemetryMs: number; gcMs: number } | undefined;
  for (const file of await readdir(profDir)) {
    const profile = JSON.parse(await readFile(join(profDir, file), 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    let busy = 0;
    let telemetry = 0;
    let gc = 0;
    profile.samples.forEach((sample, i) => {
      const dt = (profile.timeDeltas[i] ?? 0) / 1000;
      const leaf = byId.get(sample);
      if (!leaf || leaf.callFrame.functionName === '(idle)') return;
      busy += dt;
      if (leaf.callFrame.functionName === '(garbage collector)') return void (gc += dt);
      let owner: string | undefined;
      let loading = false;
      for (let id: number | undefined = sample; id !== undefined; id = parent.get(id)) {
        const { url, functionName, lineNumber, columnNumber } = byId.get(id)!.callFrame;
        // Module loading: the loaders, or a module's top-level code (anonymous frame at 0:0).
        if (url.includes('internal/modules/') || functionName === 'compileSourceTextModule') loading = true;
        if (functionName === '' && lineNumber === 0 && columnNumber === 0 && url !== '') loading = true;
        if (owner === undefined && url !== '' && !url.startsWith('node:')) owner = url;
      }
      if (!loading && owner !== undefined && (owner.includes('@opentelemetry') || owner.includes('/src/telemetry/')))
        telemetry += dt;
    });
    if (!best || busy > best.busyMs) best = { busyMs: busy, telemetryMs: telemetry, gcMs: gc };
  }
  if (!best) throw new Error(`no CPU profile written for ${mode}`);
  return { ...best, share: best.telemetryMs / best.busyMs };
}

const results: RunResult[] = [];
try {
  const microCalls = 20_000;
  const micro = { none: [] as number[], full: [] as number[] };
  for (let r = 0; r < 3; r++) {
    micro.none.push(await microRun('none', microCalls));
    micro.full.push(await microRun('full', microCalls));
  }
  const observerUsPerCall = median(micro.full) - median(micro.none);

  await runOnce('off', 0, small); // warm-up: tsx compile cache, page cache
  await runOnce('on', 0, small);
  const smallRuns: RunResult[] = [];
  let exportedBytes = 0;
  for (let r = 1; r <= rounds; r++) {
    // Rotate which mode goes first so a drift in machine load does not favour one side.
    const order = [...modes.slice((r - 1) % modes.length), ...modes.slice(0, (r - 1) % modes.length)];
    for (const mode of order) {
      const before = receiver.protobufBytes();
      results.push(await runOnce(mode, r, large));
      if (mode === 'on') exportedBytes += receiver.protobufBytes() - before;
      smallRuns.push(await runOnce(mode, 100 + r, small));
    }
  }
  const profiled = { off: await telemetryShare('off'), on: await telemetryShare('on') };
  /** Telemetry's share of busy CPU with the SDK on, minus the no-SDK share (the API's no-op calls). */
  const profileCost = profiled.on.share - profiled.off.share;

  /** Marginal CPU per record: (median CPU of the large runs − median CPU of the small runs) / record difference. */
  const cpuPerRecordUs = (mode: Mode): number => {
    const largeCpu = median(results.filter((x) => x.mode === mode).map((x) => x.cpuMs));
    const smallCpu = median(smallRuns.filter((x) => x.mode === mode).map((x) => x.cpuMs));
    return ((largeCpu - smallCpu) * 1000) / (large.records - small.records);
  };
  const byMode = (mode: Mode) => results.filter((x) => x.mode === mode);
  const off = byMode('off');
  const on = byMode('on');
  const diagnostics = modes
    .filter((m) => m !== 'off' && m !== 'on')
    .map((m) => ({
      mode: m,
      medianRecordsPerSecond: median(byMode(m).map((x) => x.recordsPerSecond)),
      cpuPerRecordUs: cpuPerRecordUs(m),
      runs: byMode(m),
    }));
  const offRps = median(off.map((x) => x.recordsPerSecond));
  const onRps = median(on.map((x) => x.recordsPerSecond));
  const cost = 1 - onRps / offRps;
  const offCpu = cpuPerRecordUs('off');
  const onCpu = cpuPerRecordUs('on');
  const cpuCost = onCpu / offCpu - 1;
  const fixedCpuMs =
    median(smallRuns.filter((x) => x.mode === 'on').map((x) => x.cpuMs)) -
    median(smallRuns.filter((x) => x.mode === 'off').map((x) => x.cpuMs)) -
    ((onCpu - offCpu) * small.records) / 1000;
  const report = {
    machine: machineDescription(),
    date: new Date().toISOString(),
    records,
    rounds,
    concurrency,
    profile: 'null',
    protocol: 'http/protobuf',
    off: {
      medianRecordsPerSecond: offRps,
      cpuPerRecordUs: offCpu,
      medianProcessMs: median(off.map((x) => x.processMs)),
      runs: off,
    },
    on: {
      medianRecordsPerSecond: onRps,
      cpuPerRecordUs: onCpu,
      medianProcessMs: median(on.map((x) => x.processMs)),
      runs: on,
      exportedBytesPerRun: Math.round(exportedBytes / rounds),
    },
    diagnostics,
    smallRuns,
    /** 1 − on/off of median records/s: what the target is stated in; noisy on a loaded machine. */
    throughputCost: cost,
    /** on/off − 1 of marginal CPU per record: the same cost measured in CPU time, robust to machine load. */
    cpuCostPerRecord: cpuCost,
    /** One-off CPU of telemetry per process (loading the SDK, final flush), ms. */
    fixedCpuMs,
    /** The observers' CPU per call, spans and metrics recorded and exported (in-process, load-robust), µs. */
    micro: { calls: microCalls, noneUsPerCall: micro.none, fullUsPerCall: micro.full, observerUsPerCall },
    /** observer CPU per call ÷ sluice's own CPU per record with telemetry off. */
    estimatedCost: observerUsPerCall / offCpu,
    /** From CPU profiles of one off and one on run: telemetry's share of busy main-thread CPU (on − off). */
    profiled,
    profileCost,
    target: 0.05,
    /** Judged on the larger of the two load-robust estimates. */
    meetsTarget: Math.max(observerUsPerCall / offCpu, profileCost) <= 0.05,
  };
  const fmt = (x: number) => x.toFixed(0);
  const md = [
    `# Telemetry cost (null profile, ${records} records, concurrency ${concurrency}, ${rounds} rounds ABAB)`,
    '',
    `Machine: ${report.machine}. Date: ${report.date}.`,
    '',
    '| telemetry | CPU µs per record (marginal) | records/s (median) | process wall ms (median) | runs records/s |',
    '|---|---:|---:|---:|---|',
    `| off | ${fmt(offCpu)} | ${fmt(offRps)} | ${fmt(report.off.medianProcessMs)} | ${off.map((x) => fmt(x.recordsPerSecond)).join(', ')} |`,
    `| on (OTLP http/protobuf, ${(report.on.exportedBytesPerRun / 1024).toFixed(0)} KiB exported per run) | ${fmt(onCpu)} | ${fmt(onRps)} | ${fmt(report.on.medianProcessMs)} | ${on.map((x) => fmt(x.recordsPerSecond)).join(', ')} |`,
    ...diagnostics.map(
      (d) =>
        `| ${d.mode} | ${fmt(d.cpuPerRecordUs)} | ${fmt(d.medianRecordsPerSecond)} | | ${d.runs.map((x) => fmt(x.recordsPerSecond)).join(', ')} |`,
    ),
    '',
    `Observers' own CPU per call (the default tree: one span, wait/retry events, 3 histogram samples; exported over OTLP/protobuf; in-process, median of 3): ` +
      `**${observerUsPerCall.toFixed(0)} µs** (runs with SDK: ${micro.full.map(fmt).join(', ')}; without: ${micro.none.map(fmt).join(', ')}).`,
    '',
    `Estimate 1 = ${observerUsPerCall.toFixed(0)} µs ÷ ${fmt(offCpu)} µs of sluice CPU per record = **${((observerUsPerCall / offCpu) * 100).toFixed(1)}%**.`,
    '',
    `Estimate 2 (V8 CPU profile of one ${records}-record run each way, telemetry frames' share of busy CPU, GC excluded): ` +
      `on ${(profiled.on.share * 100).toFixed(1)}% − off (no-op API calls) ${(profiled.off.share * 100).toFixed(1)}% = **${(profileCost * 100).toFixed(1)}%**; ` +
      `GC share on ${((profiled.on.gcMs / profiled.on.busyMs) * 100).toFixed(1)}% vs off ${((profiled.off.gcMs / profiled.off.busyMs) * 100).toFixed(1)}%.`,
    '',
    `Target ≤ 5% (judged on the larger estimate): ${report.meetsTarget ? '**met**' : '**NOT met**'}.`,
    '',
    `End to end on this run: CPU per record ${cpuCost >= 0 ? '+' : ''}${(cpuCost * 100).toFixed(1)}%, throughput ${Math.abs(cost * 100).toFixed(1)}% ${cost >= 0 ? 'lower' : 'higher'} with telemetry ` +
      `(both read off whole processes on a shared machine, so they carry the machine's noise; compare rounds); one-off CPU per process ${fmt(fixedCpuMs)} ms.`,
    '',
  ].join('\n');
  await mkdir(join(root, 'bench/results'), { recursive: true });
  await writeFile(join(root, 'bench/results/telemetry.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(root, 'bench/results/telemetry.md'), md);
  process.stdout.write(md);
} finally {
  sim.kill('SIGTERM');
  await receiver.close();
  await rm(dir, { recursive: true, force: true });
}
