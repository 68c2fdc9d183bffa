import type { Envelope } from '../core/envelope.ts';
import type { RunStats } from '../core/run-stats.ts';
import type { Stage } from '../core/stage.ts';

/**
 * Drops records a previous run finished (`--resume`): they are acked at once (nothing to write) and counted as
 * skipped. Failed envelopes are matched too — a bad line dead-lettered last time is not dead-lettered twice.
 * `done` counts finished lines per id, and each skip uses one up: of two records with one id, only as many are
 * skipped as were finished. Takes ownership of `done` (decrements it).
 */
export function skipDone<T>(done: Map<string, number>, stats: RunStats): Stage<T, T> {
  return async function* skipDoneStage(source: AsyncIterable<Envelope<T>>) {
    for await (const envelope of source) {
      const finished = done.get(envelope.id) ?? 0;
      if (finished > 0) {
        if (finished === 1) done.delete(envelope.id);
        else done.set(envelope.id, finished - 1);
        stats.resumedSkipped++;
        envelope.ack();
        continue;
      }
      yield envelope;
    }
  };
}
