/**
 * Turns each request of a finished batch into its records' output or dead letters, through the same code as
 * online (llm/map-record `settleFirstCall`, pack/map-pack `settlePackedCall`): the batch's answer is validated
 * against the schema, an invalid answer is re-asked ONCE online, a packed answer is split by id (items missing or
 * invalid are retried alone online), a refused request (400…) is each record's dead letter.
 *
 * A request the batch did not finish (expired, cancelled, failed, or refused in a way that may pass later — 429,
 * 5xx) is, by `fallback`:
 * - `online`: done now through the online path (`mapRecord` / `mapPack`: limiter, retries, re-ask);
 * - `batch`: handed to `resubmit` for the next batch while the records have been submitted fewer than
 *   `maxSubmissions` times (a cancelled batch does not count one), else dead-lettered, retriable.
 *
 * Each output record is stamped like online ones (`fingerprint`, `usage.costUsd`); its cost is the batch's share of
 * its usage at the batch price plus what online calls added at the online price.
 */
import { setMaxListeners } from 'node:events';
import type { Prices } from '../config/prices.ts';
import { costUsd } from '../config/prices.ts';
import { boundedMap } from '../core/bounded-map.ts';
import {
  isOk,
  withFailure,
  withValue,
  type Attempt,
  type Envelope,
  type GatedEnvelope,
  type OkEnvelope,
} from '../core/envelope.ts';
import type { RunStats } from '../core/run-stats.ts';
import type { GatedStage } from '../core/stage.ts';
import type { CallResult } from '../llm/execute-call.ts';
import { mapRecord, settleFirstCall, STAGE_NAME, type OutputRecord } from '../llm/map-record.ts';
import type { TokenUsage } from '../llm/model-client.ts';
import { mapPack, packMember, settlePackedCall, type PackContext } from '../pack/map-pack.ts';
import { shareUsage } from '../pack/share-usage.ts';
import type { Outcome } from './batch-outcomes.ts';

type Input = OkEnvelope<Record<string, unknown>>;
type Output = GatedEnvelope<OutputRecord>;

/** One request of the batch: its records (one, or a pack), how often they were submitted, what became of it. */
export interface IngestUnit {
  readonly seq: number;
  readonly members: readonly Input[];
  readonly round: number;
  readonly outcome: Outcome;
  /** The batch's attempt, as kept in the records' attempts (`at`: when the batch was created). */
  readonly attempt: Attempt;
  /** Unix ms the batch was created: the records' latency is counted from it. */
  readonly startedMs: number;
}

export interface IngestOptions {
  /** Context of the online path (client, limiter, retries, gate); a PackContext serves single records too. */
  readonly context: PackContext;
  readonly fallback: 'online' | 'batch';
  readonly maxSubmissions: number;
  /** Queues the unit for the next batch (same request, `round` the records' submissions so far). */
  resubmit(unit: IngestUnit, round: number): Promise<void>;
  readonly prices: { readonly batch: Prices | undefined; readonly online: Prices | undefined };
  readonly fingerprint: string;
  readonly stats: RunStats;
  /** Units in progress at once (online re-asks and fallbacks wait on the limiter). */
  readonly window: number;
  /** A request says the quota is exhausted: the job stops once this batch is ingested (its records are sent again on resume). */
  onStopJob?(message: string): void;
}

export function ingestUnits(options: IngestOptions): GatedStage<IngestUnit, OutputRecord> {
  return async function* ingestUnitsStage(source, ctx) {
    const calls = new AbortController();
    const outer = ctx?.signal ?? calls.signal;
    const signal = AbortSignal.any([outer, calls.signal]);
    setMaxListeners(4 * options.window + 16, signal);
    let finished = false;
    try {
      const settle = async (envelope: Envelope<IngestUnit>): Promise<Output[]> =>
        envelope.failure ? [envelope] : settleUnit(envelope.value, options, signal);
      const units = boundedMap(source, settle, { window: options.window, ordered: true, signal: outer });
      for await (const results of units) for (const result of results) yield result;
      finished = true;
    } finally {
      if (!finished) calls.abort(new Error('ingestion stopped before its calls finished'));
    }
  };
}

async function settleUnit(unit: IngestUnit, options: IngestOptions, signal: AbortSignal): Promise<Output[]> {
  const { context, stats } = options;
  const { outcome } = unit;
  if (outcome.kind === 'unfinished') return unfinished(unit, outcome, options, signal);
  let batchShares: TokenUsage[];
  let call: CallResult;
  if (outcome.kind === 'answered') {
    const usage = outcome.response.usage;
    stats.inputTokens += usage.inputTokens;
    stats.outputTokens += usage.outputTokens;
    call = { ok: true, response: outcome.response, attempts: [unit.attempt] };
    batchShares =
      unit.members.length === 1
        ? [usage]
        : shareUsage(
            usage,
            unit.members.map((m) => userTextLength(m, context)),
          );
  } else {
    const attempt: Attempt = {
      ...unit.attempt,
      status: outcome.status,
      reason: outcome.reason,
      error: outcome.message,
    };
    call = { ok: false, reason: outcome.reason, message: outcome.message, retriable: false, attempts: [attempt] };
    batchShares = unit.members.map(() => ({ inputTokens: 0, outputTokens: 0 }));
  }
  let results: Output[];
  if (unit.members.length === 1) {
    const member = unit.members[0]!;
    const rendered = context.renderer.render(member.value);
    if (!rendered.ok) throw new TypeError(`record ${member.id} was sent in a batch but cannot be rendered`);
    results = [
      await settleFirstCall(member, context, signal, {
        messages: rendered.messages,
        first: call,
        started: unit.startedMs,
      }),
    ];
  } else {
    const members = unit.members.map((m) => packMember(m, context.renderer)!);
    results = await Promise.all(settlePackedCall(members, context, signal, call, unit.startedMs));
  }
  return results.map((result, i) => stamp(result, batchShares[i]!, options));
}

async function unfinished(
  unit: IngestUnit,
  outcome: Extract<Outcome, { kind: 'unfinished' }>,
  options: IngestOptions,
  signal: AbortSignal,
): Promise<Output[]> {
  const none: TokenUsage = { inputTokens: 0, outputTokens: 0 };
  if (options.fallback === 'online') {
    const results =
      unit.members.length === 1
        ? [await mapRecord(unit.members[0]!, options.context, signal)]
        : await mapPack(unit.members, options.context, signal);
    return results.map((result) => stamp(result, none, options));
  }
  // A batch the user cancelled did not spend a submission: its records go again in the same round.
  const round = outcome.reason === 'batch_cancelled' ? unit.round : unit.round + 1;
  if (outcome.stopJob)
    options.onStopJob?.(
      `the provider reports the quota is exhausted (${outcome.message}); fix billing, then resume the job`,
    );
  if (!outcome.final && (outcome.stopJob || round <= options.maxSubmissions)) {
    await options.resubmit(unit, round);
    return [];
  }
  const attempt: Attempt = {
    ...unit.attempt,
    reason: outcome.reason,
    error: outcome.message,
    ...(outcome.status !== undefined && { status: outcome.status }),
  };
  const times = unit.round === 1 ? 'once' : `${unit.round} times`;
  const failure = {
    stage: STAGE_NAME,
    reason: outcome.reason,
    message: `${outcome.message} (submitted ${times})`,
    retriable: true,
    attempts: [attempt],
  };
  return unit.members.map((member) => withFailure(member, failure));
}

/** Adds the fingerprint and the cost (batch share at the batch price, the rest at the online price), as online records have. */
function stamp(envelope: Output, batchShare: TokenUsage, options: IngestOptions): Output {
  if (!isOk(envelope)) return envelope;
  const record = envelope.value;
  const online = {
    inputTokens: record.usage.inputTokens - batchShare.inputTokens,
    outputTokens: record.usage.outputTokens - batchShare.outputTokens,
  };
  const cost = costUsd(batchShare, options.prices.batch) + costUsd(online, options.prices.online);
  options.stats.costUsd += cost;
  const priced = options.prices.batch !== undefined || options.prices.online !== undefined;
  const usage = priced ? { ...record.usage, costUsd: Number(cost.toFixed(8)) } : record.usage;
  return withValue(envelope, { ...record, usage, fingerprint: options.fingerprint });
}

/** A packed record's share of the usage is weighted by its rendered user message, as online (pack/share-usage). */
function userTextLength(member: Input, context: PackContext): number {
  return packMember(member, context.renderer)?.userText.length ?? 0;
}
