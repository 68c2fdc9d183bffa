import type { Envelope } from '../core/envelope.ts';
import type { RunStats } from '../core/run-stats.ts';
import type { Stage } from '../core/stage.ts';

/**
 * Drops records a previous run finished (`--resume`): they are acked at once (nothing to write) and counted as
 * skipped. Failed envelopes are matched too — a bad line dead-lettered last time is not dead-lettered twice.
 */
export function skipDone<T>(done: ReadonlySet<string>, stats: RunStats): Stage<T, T> {
  return async function* skipDoneStage(source: AsyncIterable<Envelope<T>>) {
    for await (const envelope of source) {
      if (done.has(envelope.id)) {
        stats.resumedSkipped++;
        envelope.ack();
        continue;
      }
      yield envelope;
    }
  };
}
