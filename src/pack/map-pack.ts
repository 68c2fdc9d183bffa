/**
 * One pack of records through the model in one request (prompt packing), then split back by id.
 *
 * - Records that already failed pass through untouched; records that cannot be rendered, and a pack of one, go
 *   through `mapRecord` as usual (no packing overhead for a lone record).
 * - The packed call asks for `{ items: [{ id, result }] }` (pack/packed-format.ts) with max_tokens = k × the
 *   pipeline's, since the answer holds k results.
 * - Items missing, duplicated or invalid, or a whole answer that is unusable (not JSON, cut off), are retried alone
 *   through `mapRecord` (with its own re-ask); nothing is ever attributed by position.
 * - A packed call that fails for good (after the retry layer's attempts) fails each of its records the same way; one
 *   the closed gate kept from starting leaves each of them not started (core/envelope).
 * - Usage: the packed call's usage is shared out by prompt size (pack/share-usage.ts) and the record says so
 *   (`usage.shared: true`, `usage.packSize`); a record retried alone adds its own calls' usage to its share.
 *
 * Returns the output envelopes in input order. Only an abort or a job stop is thrown (as mapRecord does).
 */
import { NOT_STARTED } from '../core/admission-gate.ts';
import {
  isOk,
  withFailure,
  withNotStarted,
  withValue,
  type Envelope,
  type GatedEnvelope,
  type OkEnvelope,
} from '../core/envelope.ts';
import { executeCall, type CallResult } from '../llm/execute-call.ts';
import { mapRecord, STAGE_NAME, type MapRecordContext, type OutputRecord } from '../llm/map-record.ts';
import type { ChatMessage, JsonSchema, ModelResponse, TokenUsage } from '../llm/model-client.ts';
import { estimateTokens, type PromptRenderer } from '../llm/prompt.ts';
import { packedSchema, packedUserMessage } from './packed-format.ts';
import { shareUsage } from './share-usage.ts';
import { splitPackedAnswer } from './split-answer.ts';

export interface PackContext extends MapRecordContext {
  /** The packed answer schema, built once (`packedSchema(pipeline.output.schema)`). */
  readonly packedSchema: JsonSchema;
}

export function createPackContext(ctx: MapRecordContext): PackContext {
  return { ...ctx, packedSchema: packedSchema(ctx.pipeline.output.schema) };
}

/** Usage of a record that shared a packed call. */
export type SharedUsage = TokenUsage & { readonly shared: true; readonly packSize: number };

/** A record to map: one on its way (failures pass by, `mapPack` takes both). */
type Input = OkEnvelope<Record<string, unknown>>;
type Output = GatedEnvelope<OutputRecord>;

/** A record of a packed request: its envelope, its own rendered user message, and the system message(s). */
export interface PackMember {
  readonly envelope: Input;
  readonly userText: string;
  readonly system: ChatMessage[];
}

/** The record as a pack member, or undefined when its prompt cannot be rendered (mapRecord dead-letters it). */
export function packMember(envelope: Input, renderer: PromptRenderer): PackMember | undefined {
  const rendered = renderer.render(envelope.value);
  if (!rendered.ok) return undefined;
  const user = rendered.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
  return { envelope, userText: user, system: rendered.messages.filter((m) => m.role === 'system') };
}

/** The messages of the one request a pack of members makes (pack/packed-format.ts). */
export function packedMessages(members: readonly PackMember[]): ChatMessage[] {
  return [
    ...members[0]!.system,
    { role: 'user', content: packedUserMessage(members.map((m) => ({ id: m.envelope.id, input: m.userText }))) },
  ];
}

export async function mapPack(
  envelopes: readonly Envelope<Record<string, unknown>>[],
  ctx: PackContext,
  signal: AbortSignal,
): Promise<Output[]> {
  // Each slot is a result, or the index of a pack member whose result the packed call gives below.
  const out: Array<Promise<Output> | Output | number> = [];
  const members: PackMember[] = [];
  for (const envelope of envelopes) {
    if (envelope.failure) {
      out.push(envelope);
      continue;
    }
    const member = packMember(envelope, ctx.renderer);
    if (!member) {
      out.push(mapRecord(envelope, ctx, signal)); // dead-letters it (missing_field) without a call
      continue;
    }
    ctx.fieldWatch?.rendered();
    out.push(members.length);
    members.push(member);
  }
  let packed: Array<Promise<Output>> = [];
  if (members.length === 1) packed = [mapRecord(members[0]!.envelope, ctx, signal)];
  else if (members.length > 1) packed = await packedCall(members, ctx, signal);
  return Promise.all(out.map((slot) => (typeof slot === 'number' ? packed[slot]! : slot)));
}

async function packedCall(
  members: readonly PackMember[],
  ctx: PackContext,
  signal: AbortSignal,
): Promise<Array<Promise<Output>>> {
  const { pipeline, deps } = ctx;
  const started = deps.now();
  const messages = packedMessages(members);
  const call = await executeCall(
    {
      recordIds: members.map((m) => m.envelope.id),
      messages,
      schema: ctx.packedSchema,
      schemaName: pipeline.output.schemaName,
      maxTokens: pipeline.model.maxTokens * members.length,
      promptTokenEstimate: estimateTokens(messages),
      signal,
      // Skipped only when no member is wanted any more (a pack may span partitions a rebalance split).
      superseded: () => members.every((m) => m.envelope.superseded?.() === true),
      // A whole answer that is unusable fails the call in telemetry; items are judged one by one after the split.
      checkAnswer: (answer) => (usableAnswer(answer) ? undefined : 'the packed answer is cut off or not JSON'),
    },
    deps,
  );
  return settlePackedCall(members, ctx, signal, call, started);
}

/**
 * The rest of a pack's way once its packed call is over — made online by `mapPack`, or by the provider's Batch API
 * (src/batch): split the answer by id, retry alone (online, through `mapRecord`) every record whose item is
 * missing, duplicated or invalid, and share the usage out. `started` dates the records' latency.
 */
export function settlePackedCall(
  members: readonly PackMember[],
  ctx: PackContext,
  signal: AbortSignal,
  call: CallResult,
  started: number,
): Array<Promise<Output>> {
  const { deps } = ctx;
  const ids = members.map((m) => m.envelope.id);
  if (!call.ok) {
    const message = `packed call (${members.length} records): ${call.message}`;
    if (call.reason === NOT_STARTED)
      return members.map((m) => Promise.resolve(withNotStarted(m.envelope, { stage: STAGE_NAME, message })));
    const failure = {
      stage: STAGE_NAME,
      reason: call.reason,
      message,
      retriable: call.retriable,
      attempts: call.attempts,
    };
    return members.map((m) => Promise.resolve(withFailure(m.envelope, failure)));
  }
  const response = call.response;
  const split = splitPackedAnswer(usableAnswer(response) ? response.parsed : undefined, ids, ctx.schema);
  const shares = shareUsage(
    response.usage,
    members.map((m) => m.userText.length),
  );
  const packSize = members.length;

  return members.map(async (member, i) => {
    const share = shares[i]!;
    const id = member.envelope.id;
    if (split.accepted.has(id)) {
      const usage: SharedUsage = { ...share, shared: true, packSize };
      return outputEnvelope(
        member.envelope,
        ctx,
        split.accepted.get(id),
        usage,
        response.model,
        call.attempts.length,
        deps.now() - started,
      );
    }
    // Retried alone: the record's usage is its share of the packed call plus its own calls.
    const alone = await mapRecord(member.envelope, ctx, signal);
    if (!isOk(alone)) return alone;
    const own = alone.value;
    const usage: SharedUsage = {
      inputTokens: share.inputTokens + own.usage.inputTokens,
      outputTokens: share.outputTokens + own.usage.outputTokens,
      shared: true,
      packSize,
    };
    return withValue(alone, {
      ...own,
      usage,
      attempts: own.attempts + call.attempts.length,
      latencyMs: Math.round(deps.now() - started),
    });
  });
}

function usableAnswer(response: ModelResponse): boolean {
  return response.finishReason !== 'length' && response.parsed !== undefined;
}

function outputEnvelope(
  envelope: Input,
  ctx: MapRecordContext,
  result: unknown,
  usage: TokenUsage,
  model: string,
  attempts: number,
  latencyMs: number,
): OkEnvelope<OutputRecord> {
  const record: Record<string, unknown> = { id: envelope.id };
  for (const field of ctx.pipeline.input.keep) if (field in envelope.value) record[field] = envelope.value[field];
  const output: OutputRecord = Object.assign(record, {
    id: envelope.id,
    result,
    usage,
    model,
    attempts,
    latencyMs: Math.round(latencyMs),
  });
  return withValue(envelope, output);
}
