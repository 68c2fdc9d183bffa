/**
 * The source contract: where a job's records come from. A source is a plain async iterable that
 * core/run-pipeline pulls (through the framing stages and the stop point, `untilStopped`). There are two kinds:
 *
 * - `ByteSource` (sources/file.ts, sources/stdin.ts) yields the input's bytes in chunks whose boundaries mean
 *   nothing: a record may span chunks, a chunk may hold many records. It makes no envelopes and has nothing to
 *   acknowledge.
 * - `EnvelopeSource` (sources/kafka-source.ts; sources/dead-letter-replay.ts for `sluice replay`) yields one
 *   envelope per record whose `value` and `raw` are the record's text, not yet parsed; the source sets `id` and
 *   `meta` (where the record came from) and wires `ack` (and, if records can be taken back, `superseded`).
 *
 * Who frames it: the job assembly picks the framing stages together with the source (`inputParts` in
 * cli/build-job.ts, `kafkaInput` in cli/kafka-parts.ts). Bytes go through stages/read-lines.ts +
 * stages/parse-json.ts (JSON Lines) or stages/parse-json-array.ts, which cut records, number them (`line:N`,
 * `item:N`) and create their envelopes; envelopes go through stages/parse-json.ts only. Each record is counted
 * in `stats.recordsIn` once, by the source or its framing. Bad content is never thrown: it becomes a failed
 * envelope (house rule 2), in the framing or, for what only the source can judge, in the source.
 *
 * Acks: a sink calls an envelope's `ack()` at most once, after its write is durable (docs/architecture.md, "Envelopes
 * and the ack flow"), in any order (unordered output, dead letters and output written apart). An envelope source
 * commits only what was acked (Kafka: per partition, up to the first unacked offset); a record never acked is
 * delivered again by a later run (Kafka: from the committed offset). Byte sources commit nothing: the envelopes
 * the framing makes have no ack behind them, and `--resume` instead reads what the output files already hold.
 *
 * Backpressure and end of input: a source reads only when pulled and holds a bounded amount ahead (file: one
 * chunk; stdin: the stream's buffer; Kafka: `maxInFlight` fetched and unacked messages). The iterable completes
 * at the end of the input (end of file, stdin closed); a Kafka topic has no end, so that source completes only
 * when stopped. A stop ends the iteration by calling the iterator's `return()` without waiting for a pending
 * `next()` (core/run-pipeline.ts, `untilStopped`): `return()` must release what the iteration holds (close the
 * file, stop fetching) even while a read is blocked. What outlives the iteration (Kafka's final commit, leaving
 * the group) is released by a closer the job registers, after the pipeline settled.
 *
 * Errors: a failure to read (ENOENT, EACCES, a crashed consumer) rejects `next()`: a stream failure that tears
 * the job down (house rule 2).
 */
import type { Envelope } from '../core/envelope.ts';

/** Chunks of the input's bytes, with no record boundaries; framed by read-lines + parse-json or parse-json-array. */
export type ByteSource = AsyncIterable<Buffer>;

/** One envelope per record, its value the record's text; framed by parse-json. Its acks drive the source's commits. */
export type EnvelopeSource = AsyncIterable<Envelope<string>>;

export type Source = ByteSource | EnvelopeSource;
