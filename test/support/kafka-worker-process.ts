/** Starts kafka-worker.ts as a child process and follows the JSON events it prints. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { KafkaJobConfig } from './kafka-pipeline.ts';

const WORKER = fileURLToPath(new URL('./kafka-worker.ts', import.meta.url));

export interface WorkerEvent {
  readonly event: 'joined' | 'closed';
  readonly assignment?: Record<string, number[]>;
  readonly generation?: number;
  readonly recordsIn?: number;
  readonly recordsOut?: number;
  readonly groupJoins?: number;
  readonly commits?: number;
}

export class WorkerProcess {
  readonly events: WorkerEvent[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = '';

  private constructor(readonly child: ChildProcess) {
    let buffered = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.events.push(JSON.parse(line) as WorkerEvent);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  static start(config: KafkaJobConfig): WorkerProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(config)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new WorkerProcess(child);
  }

  /** The partitions of `topic` this worker was given at its latest join (empty before the first). */
  partitions(topic: string): number[] {
    const joined = this.events.filter((e) => e.event === 'joined');
    return joined[joined.length - 1]?.assignment?.[topic] ?? [];
  }

  /** The worker's last stderr lines, for failure messages. */
  get log(): string {
    return this.stderr;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

/** Polls `done` every 100 ms; rejects after `timeoutMs` (a hang guard, not a speed assertion). */
export async function waitUntil(
  done: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
