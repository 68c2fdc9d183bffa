/**
 * The simulator's `null` profile in its own process, started on first use by a bench case and killed when this
 * process exits. The child and its pipes are unref'd so an idle simulator never keeps the bench alive; stopping
 * it is tied to process exit because bench/stages.ts has no teardown hook for cases.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));

export function lazySimulator(): { url(): Promise<string> } {
  let started: Promise<string> | undefined;
  let child: ChildProcess | undefined;
  return {
    url() {
      started ??= new Promise<string>((resolve, reject) => {
        child = spawn(process.execPath, [BIN, 'sim', '--profile', 'null', '--port', '0'], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        const proc = child;
        process.once('exit', () => proc.kill('SIGTERM'));
        const onExit = (code: number | null) => reject(new Error(`simulator exited (${code}) before printing its URL`));
        proc.once('exit', onExit);
        createInterface({ input: proc.stdout! }).once('line', (line) => {
          proc.off('exit', onExit);
          proc.unref();
          (proc.stdout as unknown as { unref?: () => void }).unref?.();
          resolve(line.trim());
        });
      });
      return started;
    },
  };
}
