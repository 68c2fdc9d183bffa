/**
 * Writes whole lines to a file: one `write` per group of complete lines, never a partial line of ours, and
 * resolves only once the bytes are handed to the OS (the `write` syscall returned) — the moment sinks may ack.
 * `finish()` fsyncs and closes (durable); `abandon()` only closes (the run failed; nothing more to promise).
 *
 * Lazy mode opens (creates) the file on the first write, so a dead-letter file only exists when something failed.
 *
 * A failure of the file system (a full disk, a file removed under us) rejects with a SluiceError `write_failed`
 * naming the file and the cause (`cannot write out.jsonl: no space left on device (ENOSPC)`); the lines of that write
 * are not acknowledged, so a later `--resume` does their records again (a torn last line is removed first).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { ExitCode, SluiceError } from '../core/errors.ts';

export interface LineFileWriterOptions {
  /** Append to an existing file instead of truncating it. */
  readonly append?: boolean;
  /** Create the file on the first write only. */
  readonly lazy?: boolean;
}

export class LineFileWriter {
  readonly path: string;
  readonly #options: LineFileWriterOptions;
  #handle: FileHandle | undefined;
  #opening: Promise<FileHandle> | undefined;

  constructor(path: string, options: LineFileWriterOptions = {}) {
    this.path = path;
    this.#options = options;
  }

  /** Opens the file now (non-lazy writers call this before reading any input, so a bad path fails fast). */
  async open(): Promise<void> {
    await this.#ensureOpen();
  }

  /** Writes `lines`, each followed by `\n`, in one buffer; resolves after the OS accepted every byte. */
  async writeLines(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    const handle = await this.#ensureOpen();
    const data = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
    let offset = 0;
    // FileHandle.write may write fewer bytes than asked (rare for regular files); loop until all are out.
    try {
      while (offset < data.length) {
        const { bytesWritten } = await handle.write(data, offset, data.length - offset, null);
        offset += bytesWritten;
      }
    } catch (error) {
      throw this.#writeFailed(error);
    }
  }

  /** fsync + close. Creates the (empty) file first unless lazy. */
  async finish(): Promise<void> {
    if (!this.#options.lazy) await this.#ensureOpen();
    const handle = await this.#opening;
    if (!handle) return;
    try {
      await handle.sync();
    } catch (error) {
      throw this.#writeFailed(error);
    } finally {
      await handle.close();
      this.#handle = undefined;
    }
  }

  /** Closes without fsync after a failure; the original error matters more than a close error. */
  async abandon(): Promise<void> {
    const handle = await this.#opening?.catch((error: unknown) => {
      void error; // the open failure is the error the caller is already reporting
      return undefined;
    });
    if (!handle || this.#handle === undefined) return;
    this.#handle = undefined;
    await handle.close();
  }

  #ensureOpen(): Promise<FileHandle> {
    this.#opening ??= open(this.path, this.#options.append ? 'a' : 'w').then(
      (handle) => {
        this.#handle = handle;
        return handle;
      },
      (error: unknown) => {
        throw this.#writeFailed(error);
      },
    );
    return this.#opening;
  }

  #writeFailed(error: unknown): SluiceError {
    const code = (error as NodeJS.ErrnoException).code;
    const text =
      error instanceof Error ? error.message.replace(/^[A-Z]+: /, '').replace(/, \w+( '.*')?$/, '') : String(error);
    return new SluiceError(
      'write_failed',
      `cannot write ${this.path}: ${text}${code ? ` (${code})` : ''}`,
      ExitCode.fatal,
      { cause: error },
    );
  }
}
