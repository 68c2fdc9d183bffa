/**
 * The batch part of the end-of-run summary (stderr, and `batch` in --summary-json): batches created (submissions
 * of records sent again, batches refused for the enqueued-token limit), their final statuses, and the requests
 * they answered or failed, from the providers' request counts.
 */
import { formatCount } from '../report/format.ts';
import type { BatchJobState } from './state-file.ts';

export interface BatchSummary {
  /** Chunks whose batch was created (resubmissions included). */
  readonly batches: number;
  /** Of them, chunks of records sent again (expired, cancelled or failed before). */
  readonly resubmissions: number;
  /** Batches the provider refused for the enqueued-token limit (they ran nothing and were created again). */
  readonly tokenLimitRefusals: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly requests: number;
  readonly requestsAnswered: number;
  readonly requestsFailed: number;
}

export function batchSummaryOf(state: BatchJobState): BatchSummary {
  const byStatus: Record<string, number> = {};
  let batches = 0;
  let resubmissions = 0;
  let tokenLimitRefusals = 0;
  let requests = 0;
  let answered = 0;
  let failed = 0;
  for (const chunk of state.chunks) {
    tokenLimitRefusals += chunk.tokenLimitFailures?.length ?? 0;
    if (!chunk.batchId && chunk.phase !== 'ended' && chunk.phase !== 'ingested') continue;
    batches++;
    if (chunk.round > 1) resubmissions++;
    if (chunk.status) byStatus[chunk.status] = (byStatus[chunk.status] ?? 0) + 1;
    requests += chunk.requests;
    answered += chunk.counts?.completed ?? 0;
    failed += chunk.counts?.failed ?? 0;
  }
  return {
    batches,
    resubmissions,
    tokenLimitRefusals,
    byStatus,
    requests,
    requestsAnswered: answered,
    requestsFailed: failed,
  };
}

export function batchSummaryLine(s: BatchSummary): string {
  const statuses = Object.entries(s.byStatus)
    .map(([status, n]) => `${status} ${n}`)
    .join(', ');
  return (
    `  batches ${s.batches}${statuses ? ` (${statuses})` : ''}, ${s.resubmissions} of records sent again, ${s.tokenLimitRefusals} refused for the token limit; ` +
    `requests ${formatCount(s.requests)}: ${formatCount(s.requestsAnswered)} answered, ${formatCount(s.requestsFailed)} failed; cost at the batch price`
  );
}
