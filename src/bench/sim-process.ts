/**
 * The simulator in its own process (`node bin/sluice.js sim --profile P --time-scale X --port 0`), so its CPU
 * never competes with the client's event loop inside one process. Reads the base URL from its first stdout
 * line; talks to `/sim/limit`, `/sim/stats`, `/sim/reset`; stops it by its own pid (SIGTERM).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface SimLimitAnswer {
  readonly xStar: number | null;
  readonly cStar: number | null;
  readonly bound: string;
  readonly details: Record<string, unknown>;
}

export interface SimProcess {
  /** Base URL ending in /v1. */
  readonly url: string;
  /**
   * `performance.now()` when the simulator printed its URL — just after it started its model clock, so
   * (now − startedAtMs)·timeScale ≈ its model time, on which brownouts are scheduled (within milliseconds).
   */
  readonly startedAtMs: number;
  limit(query: {
    concurrency: number;
    promptTokens: number;
    maxTokens: number;
    items?: number;
    timeoutS?: number;
  }): Promise<SimLimitAnswer>;
  stats(): Promise<Record<string, unknown>>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

const BIN = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));

export async function startSimProcess(options: {
  profile: string;
  timeScale: number;
  seed?: number;
  set?: readonly string[];
}): Promise<SimProcess> {
  const args = [
    BIN,
    'sim',
    '--profile',
    options.profile,
    '--time-scale',
    String(options.timeScale),
    '--port',
    '0',
    '--seed',
    String(options.seed ?? 1),
  ];
  for (const s of options.set ?? []) args.push('--set', s);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = await firstLine(child, () => stderr);
  const startedAtMs = performance.now();
  const base = url.replace(/\/v1\/?$/, '');
  const getJson = async (path: string, init?: RequestInit): Promise<unknown> => {
    const response = await fetch(`${base}${path}`, init);
    if (!response.ok) throw new Error(`simulator ${path}: HTTP ${response.status} ${await response.text()}`);
    return response.json();
  };
  return {
    url,
    startedAtMs,
    limit: async (q) => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(q)) if (v !== undefined && Number.isFinite(v)) params.set(k, String(v));
      return (await getJson(`/sim/limit?${params}`)) as SimLimitAnswer;
    },
    stats: async () => (await getJson('/sim/stats')) as Record<string, unknown>,
    reset: async () => {
      await getJson('/sim/reset', { method: 'POST' });
    },
    stop: () => stopChild(child),
  };
}

function firstLine(child: ChildProcess, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!child.stdout) return reject(new Error('simulator has no stdout'));
    const lines = createInterface({ input: child.stdout });
    const onExit = (code: number | null) =>
      reject(new Error(`simulator exited (${code}) before printing its URL: ${stderr()}`));
    child.once('exit', onExit);
    lines.once('line', (line) => {
      child.off('exit', onExit);
      resolve(line.trim());
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
