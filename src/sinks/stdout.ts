/**
 * Stdout sink: writes each envelope's value followed by `\n` to stdout (injectable), grouped into one write per
 * batch. Acks each envelope in the write callback of the write that held its line (bytes handed to the OS),
 * never before. Honours backpressure: when `write` returns false it waits for `drain` before writing more.
 *
 * Broken pipe (`sluice … | head`): on EPIPE it stops consuming and throws
 * `SluiceError('broken_pipe', …, ExitCode.ok)` so the CLI exits 0 quietly. While the sink runs an 'error'
 * listener is attached, so an EPIPE can never surface as an unhandled 'error' event; it stays attached afterwards
 * (recording, not hiding: a late error is reported by the next write's callback) because stdout outlives us.
 */
import type { Writable } from 'node:stream';
import type { OkEnvelope } from '../core/envelope.ts';
import { ExitCode, SluiceError } from '../core/errors.ts';
import type { OutputSink } from '../core/stage.ts';
import { batch } from '../stages/batch.ts';
import { DEFAULT_WRITE_BATCH, DEFAULT_WRITE_WAIT_MS, type LineSinkOptions } from './file.ts';

export interface StdoutSinkOptions extends LineSinkOptions {
  /** Defaults to process.stdout. */
  readonly stream?: Writable;
}

const guarded = new WeakSet<Writable>();

export function stdoutSink(options: StdoutSinkOptions = {}): OutputSink<string> {
  return async function stdoutSinkRun(source, ctx) {
    const out = options.stream ?? process.stdout;
    let streamError: Error | undefined;
    let wake: (() => void) | undefined;
    // Wakes the loop below the moment stdout fails (EPIPE when the reader left): it stops waiting for the next group
    // at once, so the job stops reading and starting model calls then — not when more results happen to be ready.
    let interrupt: (() => void) | undefined;
    const fail = (error: Error) => {
      streamError ??= error;
      wake?.();
      interrupt?.();
    };
    const onError = (error: Error) => fail(error);
    out.on('error', onError);
    if (!guarded.has(out)) {
      // After this sink is gone, a late EPIPE on stdout must not crash the process either.
      guarded.add(out);
      out.on('error', (error: Error) => {
        if (!isBrokenPipe(error)) process.emitWarning(`stdout: ${error.message}`);
      });
    }

    /** Resolves on 'drain', on 'close', or when an error arrives (via `wake`). */
    const waitForDrain = () =>
      new Promise<void>((resolve) => {
        const done = () => {
          out.off('drain', done);
          out.off('close', done);
          wake = undefined;
          resolve();
        };
        wake = done;
        out.on('drain', done);
        out.on('close', done);
      });

    let outstanding = 0;
    let allWritten: (() => void) | undefined;
    const write = (group: OkEnvelope<string>[]): boolean => {
      outstanding++;
      return out.write(`${group.map((envelope) => envelope.value).join('\n')}\n`, (error) => {
        outstanding--;
        if (error) fail(error);
        else for (const envelope of group) envelope.ack();
        if (outstanding === 0) allWritten?.();
      });
    };

    const groups = batch<OkEnvelope<string>>({
      size: options.batchSize ?? DEFAULT_WRITE_BATCH,
      maxWaitMs: options.maxWaitMs ?? DEFAULT_WRITE_WAIT_MS,
      timer: options.timer,
    })(source, ctx)[Symbol.asyncIterator]();
    try {
      for (;;) {
        if (streamError) break;
        // A fresh promise per group, dropped after: racing every group against one long-lived pending promise would
        // keep each group alive through the reaction it leaves on it (see untilStopped in core/run-pipeline.ts).
        const failed = new Promise<'failed'>((resolve) => (interrupt = () => resolve('failed')));
        let next: IteratorResult<OkEnvelope<string>[]> | 'failed';
        try {
          next = await Promise.race([groups.next(), failed]);
        } finally {
          interrupt = undefined;
        }
        if (next === 'failed' || next.done) break;
        if (out.destroyed || out.writableEnded) {
          streamError ??= Object.assign(new Error('stdout is closed'), { code: 'EPIPE' });
          break;
        }
        if (!write(next.value) && !streamError) await waitForDrain();
        if (streamError) break;
      }
      if (!streamError && outstanding > 0) {
        // Wait for the last write callbacks (acks). A stream closed under us never calls them: 'close' ends the wait.
        await new Promise<void>((resolve) => {
          const done = () => {
            out.off('close', done);
            resolve();
          };
          allWritten = done;
          wake = done;
          out.on('close', done);
        });
        if (outstanding > 0)
          streamError ??= Object.assign(new Error('stdout closed before the last write completed'), { code: 'EPIPE' });
      }
      if (streamError) throw toSluiceError(streamError);
    } finally {
      out.off('error', onError);
      // Not awaited: a stage blocked on its own input must not hold up the report of a closed stdout.
      void groups.return?.(undefined)?.catch(() => undefined);
    }
  };
}

function isBrokenPipe(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END';
}

function toSluiceError(error: Error): SluiceError {
  if (isBrokenPipe(error))
    return new SluiceError('broken_pipe', 'stdout closed by the reader', ExitCode.ok, { cause: error });
  return new SluiceError('output_failed', `writing to stdout failed: ${error.message}`, ExitCode.fatal, {
    cause: error,
  });
}
