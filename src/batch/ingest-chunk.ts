/**
 * Ingests one finished batch: downloads its output and error files, pairs every record of the chunk with what
 * became of its request (batch-outcomes.ts), and runs them through the ingest stage (ingest-stage.ts) into the
 * job's own sinks — the output file and the dead-letter file, appended, exactly as online records are written.
 *
 * Records a killed run already wrote (their ordinals were skipped by --resume) are left out. Requests to send
 * again are gathered into a new chunk, written under a temporary name while the batch is ingested; only when the
 * pipeline drained completely is that chunk named in the state file and this one marked `ingested` (one atomic
 * write). A stop or crash before leaves the chunk `ended`: it is ingested again, minus what was written.
 */
import { createReadStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import split2 from 'split2';
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import { createEnvelope, type Attempt, type Envelope } from '../core/envelope.ts';
import { startPipeline, type RunningPipeline } from '../core/run-pipeline.ts';
import { describeStop } from '../core/stop-reason.ts';
import type { Sink, Stage } from '../core/stage.ts';
import { serializeJson } from '../stages/serialize-json.ts';
import { dropNotStarted } from '../stages/drop-not-started.ts';
import { withApiRetry } from './api-retry.ts';
import type { BatchApi } from './batch-api.ts';
import { customIdOfLine, outcomeOf, readResultLines, type Outcome } from './batch-outcomes.ts';
import { envelopeOf, readChunkRecords, type ChunkRecord } from './chunk-records.ts';
import { ChunkWriter } from './chunk-writer.ts';
import { ingestUnits, type IngestOptions, type IngestUnit } from './ingest-stage.ts';
import type { OrdinalSet } from './ordinal-set.ts';
import { parseCustomId } from './request-line.ts';
import type { BatchJobState, ChunkState } from './state-file.ts';
import { chunkFiles, type ChunkFiles, type WorkDir } from './work-dir.ts';

export interface IngestChunkDeps {
  readonly api: BatchApi;
  readonly pipeline: PipelineConfig;
  readonly fingerprint: string;
  readonly state: BatchJobState;
  save(): Promise<void>;
  readonly work: WorkDir;
  /** Ordinals of records already finished before this run (--resume). */
  readonly skipped: OrdinalSet;
  readonly ingest: Omit<IngestOptions, 'resubmit'>;
  /** Stages after the ingest stage and before serialization (--verbose logging). */
  readonly extraStages: readonly Stage<any, any>[];
  /** A fresh routing sink (output + dead letters, appending) per ingestion. */
  sink(): Sink<unknown>;
  readonly graceMs: number;
  readonly signal: AbortSignal;
  readonly redact: (text: string) => string;
  readonly log: (line: string) => void;
  /** Called with the running pipeline, so a signal can stop it (and with undefined when it ended). */
  onRunning(running: RunningPipeline | undefined): void;
}

export interface IngestResult {
  /** The chunk was ingested completely (marked `ingested`). */
  readonly completed: boolean;
  /** Records sent to the next batch. */
  readonly resubmitted: number;
}

export async function ingestChunk(chunk: ChunkState, deps: IngestChunkDeps): Promise<IngestResult> {
  const files = chunkFiles(deps.work, chunk.n);
  const next = nextChunkNumber(deps.state);
  const resubmitFiles = chunkFiles(deps.work, next, 'resubmit');
  const retry = { signal: deps.signal, log: deps.log };
  const downloaded: string[] = [];
  if (chunk.outputFileId) {
    await withApiRetry(
      `GET /files/${chunk.outputFileId}/content`,
      () => deps.api.downloadFile(chunk.outputFileId!, files.output, deps.signal),
      retry,
    );
    downloaded.push(files.output);
  }
  if (chunk.errorFileId) {
    await withApiRetry(
      `GET /files/${chunk.errorFileId}/content`,
      () => deps.api.downloadFile(chunk.errorFileId!, files.errors, deps.signal),
      retry,
    );
    downloaded.push(files.errors);
  }
  const { lines, foreign } = await readResultLines(downloaded, deps.fingerprint);
  if (foreign > 0) deps.log(`sluice: batch ${chunk.batchId}: ${foreign} result lines of another job ignored`);

  const resubmit = new ChunkWriter(resubmitFiles, { maxRequests: Infinity, maxBytes: Infinity });
  const resubmitRecords: Array<{ record: ChunkRecord; round: number }> = [];
  const resubmitSeqs = new Map<number, number>();
  const recordsByEnvelope = new WeakMap<object, ChunkRecord>();
  let resubmittedRecords = 0;
  const onResubmit = async (unit: IngestUnit, round: number): Promise<void> => {
    resubmitSeqs.set(unit.seq, round);
    resubmittedRecords += unit.members.length;
    for (const member of unit.members) resubmitRecords.push({ record: recordsByEnvelope.get(member)!, round });
  };
  const attempt: Attempt = {
    at: new Date((chunk.createdAt ?? 0) * 1000).toISOString(),
    status: 200,
    latencyMs: ((chunk.endedAt ?? 0) - (chunk.createdAt ?? 0)) * 1000,
  };
  const startedMs = (chunk.createdAt ?? Date.now() / 1000) * 1000;

  async function* units(): AsyncGenerator<Envelope<IngestUnit>> {
    let group: ChunkRecord[] = [];
    const emit = (): Envelope<IngestUnit> | undefined => {
      const wanted = group.filter((r) => !deps.skipped.has(r.ordinal));
      const seq = group[0]!.seq;
      group = [];
      if (wanted.length === 0) return undefined;
      const members = wanted.map((record) => {
        const envelope = envelopeOf(record);
        recordsByEnvelope.set(envelope, record);
        return envelope;
      });
      const line = lines.get(seq);
      const outcome = line !== undefined ? outcomeOf(line, deps.pipeline.model, deps.redact) : missingOutcome(chunk);
      const unit: IngestUnit = { seq, members, round: wanted[0]!.round, outcome, attempt, startedMs };
      return createEnvelope({ id: members[0]!.id, value: unit, meta: members[0]!.meta });
    };
    for await (const record of readChunkRecords(files.records)) {
      if (group.length > 0 && group[0]!.seq !== record.seq) {
        const unit = emit();
        if (unit) yield unit;
      }
      group.push(record);
    }
    if (group.length > 0) {
      const unit = emit();
      if (unit) yield unit;
    }
  }

  const running = startPipeline(
    {
      source: units(),
      framing: [],
      stages: [
        ingestUnits({ ...deps.ingest, resubmit: onResubmit }),
        dropNotStarted(),
        ...deps.extraStages,
        serializeJson(),
      ],
      sink: deps.sink(),
      onStop: (reason) => deps.ingest.context.deps.gate?.close(describeStop(reason)),
    },
    { graceMs: deps.graceMs },
  );
  deps.onRunning(running);
  let drained = false;
  try {
    await running.done;
    drained = running.stopReason === undefined && !deps.ingest.context.deps.gate?.closed;
  } finally {
    deps.onRunning(undefined);
    if (!drained) await resubmit.abandon();
  }
  if (!drained) {
    await removeFiles(resubmitFiles);
    return { completed: false, resubmitted: 0 };
  }

  // The requests to send again, copied byte for byte from this chunk's request file (same custom_id, same body).
  if (resubmitSeqs.size > 0) {
    const bySeq = new Map<number, ChunkRecord[]>();
    for (const { record, round } of resubmitRecords) {
      const list = bySeq.get(record.seq) ?? [];
      list.push({ ...record, round });
      bySeq.set(record.seq, list);
    }
    for await (const line of createReadStream(files.requests).pipe(split2()) as AsyncIterable<string>) {
      const customId = line === '' ? undefined : customIdOfLine(line);
      const seq = customId === undefined ? undefined : parseCustomId(customId)?.seq;
      const records = seq === undefined ? undefined : bySeq.get(seq);
      if (records) await resubmit.add({ customId: records[0]!.customId, line, tokens: 0 }, records);
    }
  }
  const closed = await resubmit.close();
  if (closed.requests > 0) {
    const final = chunkFiles(deps.work, next);
    await rename(resubmitFiles.requests, final.requests);
    await rename(resubmitFiles.records, final.records);
    const round = Math.max(...resubmitSeqs.values());
    deps.state.chunks.push({
      n: next,
      origin: chunk.origin,
      round,
      requests: closed.requests,
      records: closed.records,
      bytes: closed.bytes,
      phase: 'written',
    });
  } else {
    await removeFiles(resubmitFiles);
  }
  chunk.phase = 'ingested';
  await deps.save();
  await removeFiles(files);
  return { completed: true, resubmitted: resubmittedRecords };
}

/** The number of the next chunk (chunks are numbered in order of creation). */
function nextChunkNumber(state: BatchJobState): number {
  return state.chunks.length + 1;
}

/** A request neither file mentions: the batch did not run it. */
function missingOutcome(chunk: ChunkState): Outcome {
  switch (chunk.status) {
    case 'expired':
      return {
        kind: 'unfinished',
        reason: 'batch_expired',
        message: `batch_expired: batch ${chunk.batchId} expired before this request ran`,
      };
    case 'cancelled':
      return {
        kind: 'unfinished',
        reason: 'batch_cancelled',
        message: `batch_cancelled: batch ${chunk.batchId} was cancelled before this request ran`,
      };
    case 'failed':
      // The provider refused the file itself: the same requests in another batch would fail the same way.
      return {
        kind: 'unfinished',
        reason: 'batch_failed',
        message: `batch_failed: batch ${chunk.batchId} failed: ${(chunk.errors ?? []).join('; ') || 'no reason given'}`,
        final: true,
      };
    default:
      return {
        kind: 'unfinished',
        reason: 'batch_result_missing',
        message: `batch ${chunk.batchId} (${chunk.status ?? 'unknown'}) returned no result for this request`,
      };
  }
}

async function removeFiles(files: ChunkFiles): Promise<void> {
  for (const path of Object.values(files)) await rm(path, { force: true });
}
