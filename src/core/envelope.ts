/**
 * The envelope: every record flows through the pipeline inside one, and every envelope ends in exactly one
 * place — the output sink or the dead-letter sink — whose durable write then calls `ack()` exactly once.
 *
 * Envelopes are immutable. A stage that transforms a record derives a new envelope with `withValue`, and a
 * stage that fails a record derives one with `withFailure`; derived envelopes share the original's ack, so the
 * source learns about completion no matter how many stages the record crossed.
 *
 * An envelope is in one of three states, each its own type: on its way (`OkEnvelope<T>`, value of type T), failed
 * (`FailedEnvelope`, value = the failing stage's input, `failure` set), or — only between a stage behind the
 * admission gate and `dropNotStarted` — not started (`NotStartedEnvelope`, `notStarted` set). `Envelope<T>` is
 * the first two: what stages and sinks exchange.
 */

/** Where a record came from. Sinks copy it into dead letters and Kafka headers; resume uses it to skip work. */
export type SourceMeta =
  | { readonly kind: 'file'; readonly path: string; readonly line: number }
  | { readonly kind: 'stdin'; readonly line: number }
  | {
      readonly kind: 'kafka';
      readonly topic: string;
      readonly partition: number;
      readonly offset: string;
      readonly headers?: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'memory'; readonly index: number };

/** One try of a model call (or any retried step), as kept in output records and dead letters. */
export interface Attempt {
  /** ISO-8601 time the attempt started. */
  readonly at: string;
  /** HTTP status, when the peer answered. */
  readonly status?: number;
  /** Stable error code from classify-error (`rate_limited`, `server_error`, `invalid_output` ...); absent on success. */
  readonly reason?: string;
  /** Human-readable error, secrets already redacted. */
  readonly error?: string;
  readonly latencyMs?: number;
  /** How long the retry layer waited after this attempt before the next one. */
  readonly backoffMs?: number;
}

/** Why a record could not be completed. Set once by the failing stage; later stages pass it through untouched. */
export interface Failure {
  readonly stage: string;
  /** Stable, documented code (`invalid_json`, `line_too_long`, `missing_field`, `invalid_output`, ...). */
  readonly reason: string;
  readonly message: string;
  /** True when replaying the record later may succeed (rate limits, timeouts); false for bad input. */
  readonly retriable: boolean;
  readonly attempts: readonly Attempt[];
  /** The model's raw answer when the failure is an answer that did not validate. */
  readonly rawAnswer?: string;
}

/** What every envelope carries besides its value and state. */
interface EnvelopeBase {
  /** Record id: the pipeline's id field when present, else derived from the source position. */
  readonly id: string;
  readonly meta: SourceMeta;
  /** The original input text (the line), kept so that dead letters carry the raw input. */
  readonly raw?: string;
  /** Called once by the sink after a durable write. Further calls are ignored. */
  ack(): void;
  /**
   * True once the source no longer wants the record processed: its Kafka partition was revoked or re-assigned
   * by a rebalance, and its new owner reads it again from the committed offset. A call not yet started for it
   * does not start (llm/execute-call), and its ack then only frees the source's window.
   */
  readonly superseded?: () => boolean;
}

/** A record on its way: `value` is what the last stage made of it. */
export interface OkEnvelope<T> extends EnvelopeBase {
  readonly value: T;
  readonly failure?: undefined;
  readonly notStarted?: undefined;
}

/**
 * A record that could not be completed. `value` is the input the failing stage had — not that stage's output type
 * — so dead letters show it; `In` names it where it is known, and is `unknown` for a failure that came from
 * any earlier stage. Later stages pass it through untouched.
 */
export interface FailedEnvelope<In = unknown> extends EnvelopeBase {
  readonly value: In;
  readonly failure: Failure;
  readonly notStarted?: undefined;
}

/** Why a record was left unstarted: the stage that left it and a sentence for logs. Not a failure reason. */
export interface NotStarted {
  readonly stage: string;
  readonly message: string;
}

/**
 * A record whose model call a stopping job kept from starting (core/admission-gate): unfinished, neither failed
 * nor done. Only a stage behind the admission gate emits it (`GatedStage`, core/stage.ts), and
 * `dropNotStarted` (stages/drop-not-started.ts) takes it out of the stream right after: it is never written,
 * dead-lettered or acked, so `--resume` (or the Kafka group) does it later. `value` is the stage's input.
 */
export interface NotStartedEnvelope<In = unknown> extends EnvelopeBase {
  readonly value: In;
  readonly failure?: undefined;
  readonly notStarted: NotStarted;
}

/**
 * What flows between stages and into sinks: a record on its way (`value: T`) or a failed one (`failure` set, its
 * value the failing stage's input). `if (envelope.failure)` tells them apart, so a stage passes a failure on as
 * its own output type without a cast.
 */
export type Envelope<T> = OkEnvelope<T> | FailedEnvelope;

/** The output of a stage behind the admission gate: an envelope, or a record a stopping job left unstarted. */
export type GatedEnvelope<T> = Envelope<T> | NotStartedEnvelope;

export interface EnvelopeInit<T> {
  id: string;
  value: T;
  meta: SourceMeta;
  raw?: string;
  failure?: Failure;
  ack?: () => void;
  superseded?: () => boolean;
}

/** Creates an envelope whose ack runs `init.ack` at most once; with `init.failure` it is a failed one. */
export function createEnvelope<T>(init: EnvelopeInit<T> & { failure: Failure }): FailedEnvelope<T>;
export function createEnvelope<T>(init: EnvelopeInit<T> & { failure?: undefined }): OkEnvelope<T>;
export function createEnvelope<T>(init: EnvelopeInit<T>): Envelope<T>;
export function createEnvelope<T>(init: EnvelopeInit<T>): Envelope<T> {
  let acked = false;
  const onAck = init.ack;
  const ack = () => {
    if (acked) return;
    acked = true;
    onAck?.();
  };
  const base = { id: init.id, value: init.value, meta: init.meta, raw: init.raw, ack, superseded: init.superseded };
  return Object.freeze(init.failure ? { ...base, failure: init.failure } : base);
}

/** True for a record on its way (neither failed nor left unstarted): the one a stage works on. */
export function isOk<T>(envelope: GatedEnvelope<T>): envelope is OkEnvelope<T> {
  return envelope.failure === undefined && envelope.notStarted === undefined;
}

export function isNotStarted<T>(envelope: GatedEnvelope<T>): envelope is NotStartedEnvelope {
  return envelope.notStarted !== undefined;
}

/** Derives an envelope carrying a new value; the ack stays shared with `from`. */
export function withValue<T, U>(from: OkEnvelope<T>, value: U, changes: { id?: string } = {}): OkEnvelope<U> {
  return Object.freeze({ ...carried(from), id: changes.id ?? from.id, value });
}

/** What every envelope derived from `from` keeps: where it came from, its raw bytes, its ack and its wanted-ness. */
function carried<T>(from: OkEnvelope<T>) {
  return { id: from.id, meta: from.meta, raw: from.raw, ack: () => from.ack(), superseded: from.superseded };
}

/**
 * Derives a failed envelope that keeps the input value it had (so dead letters can show it), typed as that input.
 * Only a record on its way can fail (the type says so): a failed one keeps its first failure, passed on untouched.
 */
export function withFailure<T>(from: OkEnvelope<T>, failure: Failure): FailedEnvelope<T> {
  return Object.freeze({ ...carried(from), value: from.value, failure });
}

/** Derives the envelope of a record a stopping job kept from starting; it keeps its input value. */
export function withNotStarted<T>(from: OkEnvelope<T>, notStarted: NotStarted): NotStartedEnvelope<T> {
  return Object.freeze({ ...carried(from), value: from.value, notStarted });
}

/** Human-readable position of a record, for messages: `reviews.jsonl:12`, `stdin:3`, `reviews/2@1042`. */
export function describePosition(meta: SourceMeta): string {
  switch (meta.kind) {
    case 'file':
      return `${meta.path}:${meta.line}`;
    case 'stdin':
      return `stdin:${meta.line}`;
    case 'kafka':
      return `${meta.topic}/${meta.partition}@${meta.offset}`;
    case 'memory':
      return `#${meta.index}`;
  }
}
