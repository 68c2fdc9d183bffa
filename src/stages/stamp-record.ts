/** stamp-record (envelope step): a success's output record gains the pipeline fingerprint and, with known prices, `usage.costUsd` (added to `stats.costUsd`); failures pass untouched. */
import { withValue, type Envelope } from '../core/envelope.ts';
import type { EnvelopeStep } from '../core/envelope-steps.ts';
import type { RunStats } from '../core/run-stats.ts';
import { costUsd, type Prices } from '../config/prices.ts';
import type { OutputRecord } from './llm-map.ts';

export function stampRecord(
  fingerprint: string,
  prices: Prices | undefined,
  stats: RunStats,
): EnvelopeStep<OutputRecord, OutputRecord & { fingerprint: string }> {
  return (envelope) => {
    if (envelope.failure) return envelope as Envelope<any>;
    const record = envelope.value;
    const cost = costUsd(record.usage, prices);
    stats.costUsd += cost;
    const usage = prices ? { ...record.usage, costUsd: Number(cost.toFixed(8)) } : record.usage;
    return withValue(envelope, { ...record, usage, fingerprint });
  };
}
