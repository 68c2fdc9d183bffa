/**
 * The batch job's first pass over the input: every record is numbered (its ordinal, the position --resume relies
 * on) and either
 * - passed on when it failed already (unreadable line, bad JSON) or cannot be rendered (missing field: the same
 *   dead letter online gives it) — the dead-letter sink takes it;
 * - dropped when a previous run of this job placed it in a chunk already (ordinal below `state.preparedUpTo`);
 * - or rendered into its request (alone, or packed with the next records as online packs them) and written to the
 *   current chunk, a new chunk starting whenever the next request would pass a limit (chunk-writer.ts).
 * A closed chunk is named in the state file (phase `written`) together with the new `preparedUpTo`, in one atomic
 * write: a crash loses at most the chunk being written, whose records are placed again on resume.
 *
 * Records --resume skipped (finished in the output or dead letters) never reach this stage; their ordinals are the
 * gaps between the ordinals it sees, collected in `skipped` for the ingestion of chunks a killed run had begun.
 */
import { rm } from 'node:fs/promises';
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import { withFailure, type OkEnvelope } from '../core/envelope.ts';
import type { Stage } from '../core/stage.ts';
import { missingFieldFailure, STAGE_NAME } from '../llm/map-record.ts';
import { createPromptRenderer } from '../llm/prompt.ts';
import { chunkRecordOf } from './chunk-records.ts';
import { ChunkWriter, type ChunkLimits } from './chunk-writer.ts';
import type { OrdinalSet } from './ordinal-set.ts';
import type { RequestRenderer } from './request-line.ts';
import type { BatchJobState } from './state-file.ts';
import { chunkFiles, type WorkDir } from './work-dir.ts';

type Input = OkEnvelope<Record<string, unknown>>;

/** Numbers records in input order; runs before --resume's skip, so ordinals do not depend on what was done. */
export class RecordNumbering {
  readonly #ordinals = new WeakMap<object, number>();
  #next = 0;

  get count(): number {
    return this.#next;
  }

  stage(): Stage<unknown, unknown> {
    const ordinals = this.#ordinals;
    const self = this;
    return async function* numberRecords(source) {
      for await (const envelope of source) {
        ordinals.set(envelope, self.#next++);
        yield envelope;
      }
    };
  }

  ordinalOf(envelope: object): number {
    const ordinal = this.#ordinals.get(envelope);
    if (ordinal === undefined) throw new TypeError('record was not numbered: RecordNumbering.stage() must come first');
    return ordinal;
  }
}

export interface PrepareOptions {
  readonly pipeline: PipelineConfig;
  readonly renderer: RequestRenderer;
  readonly numbering: RecordNumbering;
  readonly state: BatchJobState;
  /** Persists `state` (atomically). */
  save(): Promise<void>;
  readonly work: WorkDir;
  readonly limits: ChunkLimits;
  /** Ordinals --resume skipped, filled in as the input is read. */
  readonly skipped: OrdinalSet;
}

export function prepareChunks(options: PrepareOptions): Stage<Record<string, unknown>, Record<string, unknown>> {
  const { pipeline, renderer, numbering, state, work, limits, skipped } = options;
  const prompt = createPromptRenderer(pipeline.prompt);
  const pack = Math.max(1, pipeline.pack);

  return async function* prepareChunksStage(source) {
    let expected = 0;
    let group: Input[] = [];
    let writer: { chunk: ChunkWriter; n: number } | undefined;
    let finished = false;

    const place = async (envelopes: Input[]): Promise<void> => {
      const seq = state.nextRequest;
      const request = renderer.render(seq, envelopes);
      if (writer && !writer.chunk.fits(request)) await closeChunk(numbering.ordinalOf(envelopes[0]!));
      if (!writer) {
        const n = state.chunks.length + 1;
        writer = { chunk: new ChunkWriter(chunkFiles(work, n), limits), n };
      }
      await writer.chunk.add(
        request,
        envelopes.map((envelope) =>
          chunkRecordOf(envelope, { seq, customId: request.customId }, numbering.ordinalOf(envelope), 1),
        ),
      );
      state.nextRequest = seq + 1;
    };
    /** Closes the current chunk and records it; every record numbered below `upTo` is then placed. */
    const closeChunk = async (upTo: number): Promise<void> => {
      if (!writer) return;
      const { chunk, n } = writer;
      writer = undefined;
      const closed = await chunk.close();
      state.chunks.push({
        n,
        origin: n,
        round: 1,
        requests: closed.requests,
        records: closed.records,
        bytes: closed.bytes,
        phase: 'written',
      });
      state.preparedUpTo = upTo;
      await options.save();
    };

    try {
      for await (const envelope of source) {
        const ordinal = numbering.ordinalOf(envelope);
        for (; expected < ordinal; expected++) skipped.add(expected);
        expected = ordinal + 1;
        if (envelope.failure) {
          yield envelope;
          continue;
        }
        // Rendering first: an unrenderable record is never in a chunk, whatever its ordinal (its dead letter may
        // not have been written before a crash); a renderable one below preparedUpTo is (rendering is a function).
        const rendered = prompt.render(envelope.value);
        if (!rendered.ok) {
          yield withFailure(envelope, { stage: STAGE_NAME, ...missingFieldFailure(rendered.missing) });
          continue;
        }
        if (ordinal < state.preparedUpTo) continue; // placed in a chunk by an earlier run
        group.push(envelope);
        if (group.length >= pack) {
          await place(group);
          group = [];
        }
      }
      if (group.length > 0) await place(group);
      for (; expected < numbering.count; expected++) skipped.add(expected);
      await closeChunk(numbering.count);
      state.preparedUpTo = Math.max(state.preparedUpTo, numbering.count);
      state.preparedAll = true;
      await options.save();
      finished = true;
    } finally {
      if (!finished && writer) {
        // Stopped or failed mid-chunk: the chunk is not in the state file and is written again on resume.
        const files = chunkFiles(work, writer.n);
        await writer.chunk.abandon();
        await rm(files.requests, { force: true });
        await rm(files.records, { force: true });
      }
    }
  };
}
