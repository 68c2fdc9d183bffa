/**
 * The envelope: every record flows through the pipeline inside one, and every envelope ends in exactly one
 * place — the output sink or the dead-letter sink — whose durable write then calls `ack()` exactly once.
 *
 * Envelopes are immutable. A stage that transforms a record derives a new envelope with `withValue`, and a
 * stage that fails a record derives one with `withFailure`; derived envelopes share the original's ack, so the
 * source learns about completion no matter how many stages the record crossed.
 */

/** Where a record came from. Sinks copy it into dead letters and Kafka headers; resume uses it to skip work. */
export type SourceMeta =
  | { readonly kind: 'file'; readonly path: string; readonly line: number }
  | { readonly kind: 'stdin'; readonly line: number }
  | { readonly kind: 'kafka'; readonly topic: string; readonly partition: number; readonly offset: string; readonly headers?: Readonly<Record<string, string>> }
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

export interface Envelope<T> {
  /** Record id: the pipeline's id field when present, else derived from the source position. */
  readonly id: string;
  readonly value: T;
  readonly meta: SourceMeta;
  /** The original input text (the line), kept so that dead letters carry the raw input. */
  readonly raw?: string;
  readonly failure?: Failure;
  /** Called once by the sink after a durable write. Further calls are ignored. */
  ack(): void;
  /**
   * True once the source no longer wants the record processed: its Kafka partition was revoked or re-assigned
   * by a rebalance, and its new owner reads it again from the committed offset. A call not yet started for it
   * does not start (llm/execute-call), and its ack then only frees the source's window.
   */
  readonly superseded?: () => boolean;
}

export interface EnvelopeInit<T> {
  id: string;
  value: T;
  meta: SourceMeta;
  raw?: string;
  failure?: Failure;
  ack?: () => void;
  superseded?: () => boolean;
}

/** Creates an envelope whose ack runs `init.ack` at most once. */
export function createEnvelope<T>(init: EnvelopeInit<T>): Envelope<T> {
  let acked = false;
  const onAck = init.ack;
  return freeze({
    ...init,
    ack() {
      if (acked) return;
      acked = true;
      onAck?.();
    },
  });
}

/** Derives an envelope carrying a new value; the ack stays shared with `from`. */
export function withValue<T, U>(from: Envelope<T>, value: U, changes: { id?: string } = {}): Envelope<U> {
  return freeze({ id: changes.id ?? from.id, value, meta: from.meta, raw: from.raw, failure: from.failure, ack: () => from.ack(), superseded: from.superseded });
}

/**
 * Derives a failed envelope. The value is kept as it was (so dead letters can show it); a record that has
 * already failed keeps its first failure.
 */
export function withFailure<T>(from: Envelope<T>, failure: Failure): Envelope<T> {
  if (from.failure) return from;
  return freeze({ id: from.id, value: from.value, meta: from.meta, raw: from.raw, failure, ack: () => from.ack(), superseded: from.superseded });
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

function freeze<T>(envelope: Envelope<T>): Envelope<T> {
  return Object.freeze(envelope);
}
