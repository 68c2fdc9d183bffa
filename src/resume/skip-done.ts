import type { Envelope } from '../core/envelope.ts';
import type { RunStats } from '../core/run-stats.ts';
import type { Stage } from '../core/stage.ts';

/**
 * What earlier runs finished, per id: lines in the output file, and dead letters (which a resumed job reports:
 * exit 0 promises every record is in the output). Counts, not sets: input ids need not be unique, and with a set a
 * duplicate id whose first record was done skipped the second, never done.
 */
export interface FinishedRecords {
  readonly output: Map<string, number>;
  readonly deadLetters: Map<string, number>;
}

/**
 * Drops records a previous run finished (`--resume`, or a replay into an existing output): they are acked at once
 * (nothing to write) and counted as skipped — those finished as dead letters also in `stats.resumedDeadLetters`.
 * Failed envelopes are matched too: a bad line dead-lettered last time is not dead-lettered twice. Each skip uses
 * up one finished line of its id (the output's first): of two records with one id, only as many are skipped as
 * were finished. Takes ownership of `done` (decrements it).
 */
export function skipDone<T>(done: FinishedRecords, stats: RunStats): Stage<T, T> {
  return async function* skipDoneStage(source: AsyncIterable<Envelope<T>>) {
    for await (const envelope of source) {
      const where = takeOne(done.output, envelope.id)
        ? 'output'
        : takeOne(done.deadLetters, envelope.id)
          ? 'deadLetters'
          : undefined;
      if (where) {
        stats.resumedSkipped++;
        if (where === 'deadLetters') stats.resumedDeadLetters++;
        envelope.ack();
        continue;
      }
      yield envelope;
    }
  };
}

function takeOne(counts: Map<string, number>, id: string): boolean {
  const finished = counts.get(id) ?? 0;
  if (finished === 0) return false;
  if (finished === 1) counts.delete(id);
  else counts.set(id, finished - 1);
  return true;
}
