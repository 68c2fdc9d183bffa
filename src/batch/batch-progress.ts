/**
 * The batch job's progress on stderr, one line: how many batches are in each status, requests done of those
 * submitted (from the providers' request counts), records written. On a terminal it is redrawn in place at every
 * poll; otherwise a line is printed when it changed, at most every `intervalMs` (default 5 s), so logs stay short.
 */
import type { RunStats } from '../core/run-stats.ts';
import { formatCount } from '../report/format.ts';
import type { BatchJobState } from './state-file.ts';

export interface BatchProgress {
  update(state: BatchJobState): void;
  stop(): void;
}

export function startBatchProgress(options: {
  stats: RunStats;
  stream: NodeJS.WriteStream;
  intervalMs?: number;
  enabled: boolean;
}): BatchProgress {
  const { stats, stream } = options;
  const tty = Boolean(stream.isTTY);
  const intervalMs = options.intervalMs ?? 5_000;
  let last = '';
  let lastAt = 0;
  return {
    update(state) {
      if (!options.enabled) return;
      const line = batchStatusLine(state, stats);
      const now = Date.now();
      if (tty) stream.write(`\r\x1b[2K${line.slice(0, Math.max(40, (stream.columns || 120) - 1))}`);
      else if (line !== last && now - lastAt >= intervalMs) {
        stream.write(`${new Date(now).toISOString()} ${line}\n`);
        lastAt = now;
      }
      last = line;
    },
    stop() {
      if (options.enabled && tty) stream.write('\r\x1b[2K');
    },
  };
}

export function batchStatusLine(state: BatchJobState, stats: RunStats): string {
  const byStatus = new Map<string, number>();
  let total = 0;
  let completed = 0;
  let failed = 0;
  for (const chunk of state.chunks) {
    const status =
      chunk.phase === 'ingested'
        ? 'done'
        : chunk.phase === 'created' || chunk.phase === 'ended'
          ? (chunk.status ?? chunk.phase)
          : chunk.phase;
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    if (chunk.phase === 'created' || chunk.phase === 'ended') {
      total += chunk.counts?.total ?? chunk.requests;
      completed += chunk.counts?.completed ?? 0;
      failed += chunk.counts?.failed ?? 0;
    }
  }
  const statuses = [...byStatus].map(([status, n]) => `${status} ${n}`).join(', ');
  return (
    `batches ${state.chunks.length} (${statuses || 'none yet'}) | requests running ${formatCount(completed + failed)}/${formatCount(total)} done, ${formatCount(failed)} failed` +
    ` | records out ${formatCount(stats.recordsOut)}, dead letters ${formatCount(stats.deadLetters)}`
  );
}
