/**
 * File sink: writes each envelope's value (a serialized line) followed by `\n`. Lines are grouped with the batch
 * stage into one write (bench/stages.ts measures batch sizes 1/64/512); every envelope is acked exactly once,
 * after the write holding its line returned, never before. At the end: fsync, close.
 * The file is created (or truncated, unless `append`) before the first record, so an empty run leaves an empty file.
 */
import type { OkEnvelope } from '../core/envelope.ts';
import type { OutputSink } from '../core/stage.ts';
import { batch, type BatchTimer } from '../stages/batch.ts';
import { LineFileWriter } from './line-file-writer.ts';

export interface LineSinkOptions {
  /** Lines per write. */
  readonly batchSize?: number;
  /** Longest a line waits for companions before it is written anyway. */
  readonly maxWaitMs?: number;
  readonly timer?: BatchTimer;
}

export interface FileSinkOptions extends LineSinkOptions {
  readonly append?: boolean;
}

/** bench/stages.ts (two runs): batch 1 is 3.5–4× slower than 512; batch 64 was 0.7× and 1.15× of 512 — noise-level. */
export const DEFAULT_WRITE_BATCH = 512;
export const DEFAULT_WRITE_WAIT_MS = 10;

export function fileSink(path: string, options: FileSinkOptions = {}): OutputSink<string> {
  return async function fileSinkRun(source, ctx) {
    const writer = new LineFileWriter(path, { append: options.append });
    await writer.open();
    let finished = false;
    try {
      const groups = batch<OkEnvelope<string>>({
        size: options.batchSize ?? DEFAULT_WRITE_BATCH,
        maxWaitMs: options.maxWaitMs ?? DEFAULT_WRITE_WAIT_MS,
        timer: options.timer,
      })(source, ctx);
      for await (const group of groups) {
        await writer.writeLines(group.map((envelope) => envelope.value));
        for (const envelope of group) envelope.ack();
      }
      await writer.finish();
      finished = true;
    } finally {
      if (!finished) await writer.abandon();
    }
  };
}
