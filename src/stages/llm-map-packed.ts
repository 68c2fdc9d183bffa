/**
 * llm-map with prompt packing (`pack: k > 1`): groups records with the batch stage (k per pack, or fewer after
 * PACK_MAX_WAIT_MS since a pack's first record, or at the end), sends each pack as ONE request
 * (pack/map-pack.ts), and emits every record's own envelope — in input order unless unordered.
 *
 * Window: at most `window` packs held (pulled and not emitted), so at most `window × k` records; the limiter
 * bounds the calls actually in flight. A job stop or abort tears the stage down after cancelling calls in progress.
 */
import { setMaxListeners } from 'node:events';
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import type { Envelope } from '../core/envelope.ts';
import { ConfigError } from '../core/errors.ts';
import type { GatedStage } from '../core/stage.ts';
import type { OutputRecord } from '../llm/map-record.ts';
import { createPromptRenderer } from '../llm/prompt.ts';
import { boundedMap } from '../core/bounded-map.ts';
import { createPackContext, mapPack } from '../pack/map-pack.ts';
import { batch, type BatchTimer } from './batch.ts';
import { countAnswered, createMapRecordContext, type LlmMapOptions } from './llm-map.ts';

/** Longest wait for a pack to fill once its first record arrived (a slow source still gets answers). */
export const PACK_MAX_WAIT_MS = 200;

export interface LlmMapPackedOptions extends LlmMapOptions {
  /** Records per request, ≥ 2 (default: pipeline.pack). */
  readonly pack?: number;
  readonly maxWaitMs?: number;
  readonly timer?: BatchTimer;
}

/** Throws the ConfigError `sluice validate` and `run` report when a pipeline with pack > 1 cannot be packed. */
export function checkPackable(pipeline: PipelineConfig): void {
  if (createPromptRenderer({ system: '', user: pipeline.prompt.system || ' ' }).inputVariables.length > 0) {
    throw new ConfigError(
      'pack',
      'packing shares one system message among the records: prompt.system must not reference record fields (use pack: 1)',
    );
  }
}

export function llmMapPacked(options: LlmMapPackedOptions): GatedStage<Record<string, unknown>, OutputRecord> {
  const { pipeline, limiter } = options;
  const pack = options.pack ?? pipeline.pack;
  const ordered = options.ordered ?? pipeline.ordered;
  const window = options.window ?? limiter.maxLimit;
  checkPackable(pipeline);
  const context = createMapRecordContext(options);
  const packContext = createPackContext(context);
  const group = batch<Envelope<Record<string, unknown>>>({
    size: pack,
    maxWaitMs: options.maxWaitMs ?? PACK_MAX_WAIT_MS,
    timer: options.timer,
  });

  return async function* llmMapPackedStage(source, ctx) {
    const root = ctx?.signal ?? new AbortController().signal;
    const calls = new AbortController();
    const signal = AbortSignal.any([root, calls.signal]);
    setMaxListeners(4 * window * pack + 16, signal);
    let finished = false;
    try {
      const mapCounted = async (envelopes: Envelope<Record<string, unknown>>[]) => {
        const results = await mapPack(envelopes, packContext, signal);
        for (const result of results) countAnswered(options.stats, result);
        return results;
      };
      const packs = boundedMap(group(source, ctx), mapCounted, { window, ordered, signal: root });
      for await (const results of packs) {
        for (const result of results) yield result;
      }
      finished = true;
    } finally {
      if (!finished) calls.abort(new Error('llm-map stopped before its calls finished'));
    }
  };
}
