import type { PipelineConfig } from '../config/pipeline-schema.ts';
import { NOT_STARTED } from '../core/admission-gate.ts';
import {
  withFailure,
  withNotStarted,
  withValue,
  type Attempt,
  type FailedEnvelope,
  type Failure,
  type GatedEnvelope,
  type NotStartedEnvelope,
  type OkEnvelope,
} from '../core/envelope.ts';
import { executeCall, type CallResult, type ExecuteCallDeps } from './execute-call.ts';
import type { ChatMessage, ModelResponse, TokenUsage } from './model-client.ts';
import type { CompiledOutputSchema } from './output-schema.ts';
import type { MissingFieldWatch } from './missing-field-watch.ts';
import { estimateTokens, type PromptRenderer } from './prompt.ts';

/**
 * One record through the model: render the prompt, call (through the retry layer), validate the answer, re-ask
 * ONCE with the validation error when the answer is unusable, and build the output record — or a failed envelope
 * (`missing_field`, `invalid_output` with the raw answer kept, or the retry layer's reason), or — when a stopping
 * job kept its call from starting — a not-started envelope (core/envelope). Failures of the record are data; only
 * an abort or a job stop (quota) is thrown.
 */

/** A record the model stage works on: one on its way (failures pass the stage by). */
type Input = OkEnvelope<Record<string, unknown>>;

/** The flat output record: id, kept input fields, the validated result, usage, model, attempts, latency. */
export type OutputRecord = Record<string, unknown> & {
  id: string;
  result: unknown;
  usage: TokenUsage;
  model: string;
  /** Model calls made for this record (retries and the re-ask included). */
  attempts: number;
  /** Wall time from the first attempt to the accepted answer, retries and backoff included. */
  latencyMs: number;
};

export const STAGE_NAME = 'llm-map';

export interface MapRecordContext {
  readonly pipeline: PipelineConfig;
  readonly renderer: PromptRenderer;
  readonly schema: CompiledOutputSchema;
  readonly deps: ExecuteCallDeps;
  /** With the gate: stops a job whose first records all lack a prompt field (llm/missing-field-watch). */
  readonly fieldWatch?: MissingFieldWatch;
}

type Check = { ok: true; value: unknown } | { ok: false; error: string };

/** `waitSignal`: the record's own wait signal (execute-call CallRequest.waitSignal), when the stage made one. */
export async function mapRecord(
  envelope: Input,
  ctx: MapRecordContext,
  signal: AbortSignal,
  waitSignal?: AbortSignal,
): Promise<GatedEnvelope<OutputRecord>> {
  const rendered = ctx.renderer.render(envelope.value);
  if (!rendered.ok) {
    // After a stop a record is left unfinished, as one whose call would not start (core/admission-gate).
    if (ctx.deps.gate?.closed)
      return withNotStarted(envelope, {
        stage: STAGE_NAME,
        message: 'the job stopped before this record was processed',
      });
    const stop = ctx.fieldWatch?.missing(rendered.missing, envelope.value);
    if (stop) ctx.deps.gate?.stopJob(stop);
    return fail(envelope, missingFieldFailure(rendered.missing));
  }
  ctx.fieldWatch?.rendered();
  const started = ctx.deps.now();
  // Each answer is checked inside the call, so a call whose answer is unusable is recorded as failed (telemetry).
  const checker = answerChecker(ctx);
  const first = await executeCall(
    {
      ...callBase(envelope, ctx, signal, waitSignal),
      messages: rendered.messages,
      promptTokenEstimate: rendered.promptTokenEstimate,
      checkAnswer: checker.hook,
    },
    ctx.deps,
  );
  return settleFirstCall(envelope, ctx, signal, {
    messages: rendered.messages,
    first,
    started,
    checked: checker.result,
    waitSignal,
  });
}

/** The failure of a record whose prompt cannot be rendered (a referenced field is missing, null or empty). */
export function missingFieldFailure(missing: readonly string[]): Omit<Failure, 'stage'> {
  return {
    reason: 'missing_field',
    message: `record lacks ${missing.map((f) => `"${f}"`).join(', ')} (null or empty counts as missing)`,
    retriable: false,
    attempts: [],
  };
}

/**
 * The rest of a record's way once its first call is over — made online by `mapRecord`, or by the provider's Batch
 * API (src/batch): validate the answer, re-ask ONCE online with the validation error when it is unusable, and
 * build the output record or the failure. `started` dates the record's latency; `messages` are the prompt the
 * first call sent; `checked` is the first answer's check when the call already made it.
 */
export async function settleFirstCall(
  envelope: Input,
  ctx: MapRecordContext,
  signal: AbortSignal,
  call: {
    readonly messages: readonly ChatMessage[];
    readonly first: CallResult;
    readonly started: number;
    readonly checked?: (response: ModelResponse) => Check;
    readonly waitSignal?: AbortSignal;
  },
): Promise<GatedEnvelope<OutputRecord>> {
  const { deps } = ctx;
  const { messages, first, started } = call;
  if (!first.ok) return callFailed(envelope, first, []);
  const firstCheck = call.checked ? call.checked(first.response) : check(first.response, ctx);
  if (firstCheck.ok)
    return succeed(
      envelope,
      ctx,
      firstCheck.value,
      first.response,
      first.attempts,
      usageOf(first.response),
      deps.now() - started,
    );

  // Re-ask once: the model sees its own answer and what was wrong with it.
  const firstAttempts = markInvalid(first.attempts, firstCheck.error);
  const retryMessages = reaskMessages(messages, first.response.raw, firstCheck.error);
  const secondChecker = answerChecker(ctx);
  const second = await executeCall(
    {
      ...callBase(envelope, ctx, signal, call.waitSignal),
      messages: retryMessages,
      promptTokenEstimate: estimateTokens(retryMessages),
      checkAnswer: secondChecker.hook,
    },
    deps,
  );
  if (!second.ok) return callFailed(envelope, second, firstAttempts, first.response.raw);
  const secondCheck = secondChecker.result(second.response);
  const attempts = [...firstAttempts, ...second.attempts];
  const usage = addUsage(usageOf(first.response), usageOf(second.response));
  if (secondCheck.ok)
    return succeed(envelope, ctx, secondCheck.value, second.response, attempts, usage, deps.now() - started);
  return fail(envelope, {
    reason: 'invalid_output',
    message: `answer invalid after a re-ask: ${secondCheck.error}`,
    retriable: false,
    attempts: [...firstAttempts, ...markInvalid(second.attempts, secondCheck.error)],
    rawAnswer: second.response.raw,
  });
}

/** What every call made for one record carries besides its messages. */
function callBase(envelope: Input, ctx: MapRecordContext, signal: AbortSignal, waitSignal: AbortSignal | undefined) {
  const { pipeline } = ctx;
  return {
    recordIds: [envelope.id],
    schema: pipeline.output.schema,
    schemaName: pipeline.output.schemaName,
    maxTokens: pipeline.model.maxTokens,
    signal,
    waitSignal,
    traceHeaders: envelope.meta.kind === 'kafka' ? envelope.meta.headers : undefined,
    superseded: envelope.superseded,
  };
}

/** `check` run once per answer: as the call's `checkAnswer` hook (execute-call), its result kept for the caller. */
function answerChecker(ctx: MapRecordContext): {
  hook: (response: ModelResponse) => string | undefined;
  result: (response: ModelResponse) => Check;
} {
  let checked: Check | undefined;
  return {
    hook: (response) => {
      checked = check(response, ctx);
      return checked.ok ? undefined : checked.error;
    },
    result: (response) => checked ?? check(response, ctx),
  };
}

/** Truncated, unparsable or schema-invalid answers are all "invalid output". */
function check(response: ModelResponse, ctx: MapRecordContext): Check {
  if (response.finishReason === 'length')
    return {
      ok: false,
      error: `the answer was cut off at max_tokens (${ctx.pipeline.model.maxTokens}); answer more briefly`,
    };
  if (response.parsed === undefined) return { ok: false, error: 'the answer is not valid JSON' };
  return ctx.schema.validate(response.parsed);
}

/** Longest excerpt of the invalid answer quoted back to the model. */
const QUOTED_ANSWER_CHARS = 2_000;

/**
 * The re-ask conversation: the correction (what was wrong, and the invalid answer) is appended to the system
 * message, and the record's own user message stays last and verbatim. Two reasons: every chat template accepts
 * it (one system turn, then the user — no strict-alternation template rejects it, as some do for two user turns
 * in a row), and the answer stays a function of the record's own prompt, so a deterministic peer (the
 * simulator) answers the re-ask for the same record.
 */
function reaskMessages(messages: readonly ChatMessage[], previousAnswer: string, error: string): ChatMessage[] {
  const quoted =
    previousAnswer.length > QUOTED_ANSWER_CHARS ? `${previousAnswer.slice(0, QUOTED_ANSWER_CHARS)}…` : previousAnswer;
  const note =
    `Your previous answer to the request below was invalid: ${error}.\n` +
    `The invalid answer was: ${quoted}\n` +
    'Reply again with only a JSON object that matches the required schema.';
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content);
  const conversation = messages.filter((m) => m.role !== 'system');
  return [{ role: 'system', content: [...system, note].join('\n\n') }, ...conversation];
}

function succeed(
  envelope: Input,
  ctx: MapRecordContext,
  result: unknown,
  response: ModelResponse,
  attempts: readonly Attempt[],
  usage: TokenUsage,
  latencyMs: number,
): OkEnvelope<OutputRecord> {
  const record: Record<string, unknown> = { id: envelope.id };
  for (const field of ctx.pipeline.input.keep) if (field in envelope.value) record[field] = envelope.value[field];
  const output: OutputRecord = Object.assign(record, {
    id: envelope.id,
    result,
    usage,
    model: response.model,
    attempts: attempts.length,
    latencyMs: Math.round(latencyMs),
  });
  return withValue(envelope, output);
}

/** A failed record keeps its input value (dead letters show it), and its type says so. */
function fail(envelope: Input, failure: Omit<Failure, 'stage'>): FailedEnvelope<Record<string, unknown>> {
  return withFailure(envelope, { stage: STAGE_NAME, ...failure });
}

/**
 * A call that did not answer: the record fails with the retry layer's reason — or, when the closed gate kept the
 * call from starting (the retry layer's NOT_STARTED, core/admission-gate), is left unstarted, not failed.
 * `rawAnswer`: the first answer, when this was the re-ask.
 */
function callFailed(
  envelope: Input,
  result: Extract<CallResult, { ok: false }>,
  earlier: readonly Attempt[],
  rawAnswer?: string,
): FailedEnvelope<Record<string, unknown>> | NotStartedEnvelope<Record<string, unknown>> {
  if (result.reason === NOT_STARTED) return withNotStarted(envelope, { stage: STAGE_NAME, message: result.message });
  const failure = {
    reason: result.reason,
    message: result.message,
    retriable: result.retriable,
    attempts: [...earlier, ...result.attempts],
  };
  return fail(envelope, rawAnswer === undefined ? failure : { ...failure, rawAnswer });
}

function markInvalid(attempts: readonly Attempt[], error: string): Attempt[] {
  const copy = [...attempts];
  const last = copy.at(-1);
  if (last) copy[copy.length - 1] = { ...last, reason: 'invalid_output', error };
  return copy;
}

function usageOf(response: ModelResponse): TokenUsage {
  return { inputTokens: response.usage.inputTokens, outputTokens: response.usage.outputTokens };
}

function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens };
}
