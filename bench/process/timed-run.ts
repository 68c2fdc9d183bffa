/**
 * Runs a command as a child process under GNU time (`/usr/bin/time -f …`, the way a user measures a command) and
 * returns its wall time, CPU time (user + system, children included) and peak resident set size. Linux/GNU time
 * only: on a machine without /usr/bin/time the benchmark says so and stops.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GNU_TIME = '/usr/bin/time';

export interface TimedRun {
  readonly code: number | null;
  /** Wall-clock seconds, as GNU time measured them (%e: 10 ms resolution). */
  readonly wallS: number;
  /** Wall-clock ms from spawn to exit as this process saw it (performance.now: sub-ms resolution, includes GNU time's own exec). */
  readonly elapsedMs: number;
  /** User + system CPU seconds (%U + %S). */
  readonly cpuS: number;
  /** Peak resident set size, MB (10^6 bytes; %M is KiB). */
  readonly maxRssMb: number;
  /** Epoch ms just before the spawn (for launch → event measurements). */
  readonly launchedAt: number;
  /** Last 4 KB of stderr (GNU time's own line removed). */
  readonly stderr: string;
}

export interface TimedRunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** A file to stream into stdin (default: none). */
  readonly stdinFile?: string;
  /** Where stdout goes: ignored unless a path is given. */
  readonly stdoutFile?: string;
}

export function requireGnuTime(): void {
  if (!existsSync(GNU_TIME))
    throw new Error(`${GNU_TIME} (GNU time) is needed to measure CPU time and peak RSS of a child process`);
}

export async function timedRun(
  command: string,
  args: readonly string[],
  options: TimedRunOptions = {},
): Promise<TimedRun> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-timed-'));
  const report = join(dir, 'time.txt');
  try {
    const stdin = options.stdinFile ? await open(options.stdinFile, 'r') : undefined;
    const stdout = options.stdoutFile ? await open(options.stdoutFile, 'w') : undefined;
    const launchedAt = Date.now();
    const started = performance.now();
    const child = spawn(GNU_TIME, ['-f', '%e %U %S %M', '-o', report, command, ...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [stdin ? stdin.fd : 'ignore', stdout ? stdout.fd : 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    const elapsedMs = performance.now() - started;
    await stdin?.close();
    await stdout?.close();
    const fields = (await readFile(report, 'utf8')).trim().split('\n').at(-1)!.split(' ').map(Number);
    const [wallS, userS, systemS, maxRssKb] = fields as [number, number, number, number];
    if (fields.length !== 4 || fields.some((f) => !Number.isFinite(f)))
      throw new Error(`unexpected GNU time output: ${fields.join(' ')}`);
    return { code, wallS, elapsedMs, cpuS: userS + systemS, maxRssMb: (maxRssKb * 1024) / 1e6, launchedAt, stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
