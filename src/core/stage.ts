import type { Envelope, GatedEnvelope, OkEnvelope } from './envelope.ts';

/**
 * The one stage contract: Node's `stream.pipeline` function-stage shape over envelopes. A stage reads its
 * source only as fast as it needs to (pull-based backpressure), passes failed envelopes through untouched and
 * in place, and stops when `ctx.signal` aborts.
 */
export interface StageContext {
  readonly signal: AbortSignal;
}

export type Stage<In, Out> = (source: AsyncIterable<Envelope<In>>, ctx?: StageContext) => AsyncIterable<Envelope<Out>>;

/**
 * A stage behind the admission gate (llm-map, llm-map-packed, batch ingestion): besides envelopes it emits the
 * records a stopping job kept from starting (`NotStartedEnvelope`). `dropNotStarted` (stages/drop-not-started.ts)
 * must follow it: it turns the stream back into plain envelopes, as every later stage and sink expects.
 */
export type GatedStage<In, Out> = (
  source: AsyncIterable<Envelope<In>>,
  ctx?: StageContext,
) => AsyncIterable<GatedEnvelope<Out>>;

/** A sink consumes envelopes, writes them durably, then acks each one. Resolves when the source is drained. */
export type Sink<In> = (source: AsyncIterable<Envelope<In>>, ctx?: StageContext) => Promise<void>;

/** A sink of records on their way only (the output sinks): the routing sink sends failures to the dead letters. */
export type OutputSink<In> = (source: AsyncIterable<OkEnvelope<In>>, ctx?: StageContext) => Promise<void>;

/** Collects a stage's output into an array: the way tests drive stages. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Turns an array into an async iterable: the way tests feed stages. */
export async function* fromArray<T>(items: Iterable<T>): AsyncIterable<T> {
  for (const item of items) yield item;
}
