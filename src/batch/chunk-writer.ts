/**
 * Writes one chunk — the requests of one batch — and keeps it within the provider's limits: at most `maxRequests`
 * lines and `maxBytes` bytes per input file (OpenAI: 50,000 and 200 MB), and, when set, `maxTokens` prompt tokens
 * (chars/4) so that one batch never holds more than the model's enqueued-token limit. A request that would pass a
 * limit starts the next chunk; a chunk always takes its first request, however large (the provider then says why
 * it refuses it). Both files are fsynced when the chunk is closed, before the state file names the chunk.
 */
import { LineFileWriter } from '../sinks/line-file-writer.ts';
import type { ChunkRecord } from './chunk-records.ts';
import type { RequestLine } from './request-line.ts';
import type { ChunkFiles } from './work-dir.ts';

export interface ChunkLimits {
  readonly maxRequests: number;
  readonly maxBytes: number;
  readonly maxTokens?: number;
}

export interface ClosedChunk {
  readonly requests: number;
  readonly records: number;
  readonly bytes: number;
  readonly tokens: number;
}

/** Lines buffered before a write (fewer syscalls on a 50,000-request chunk). */
const WRITE_GROUP = 256;

export class ChunkWriter {
  readonly #requests: LineFileWriter;
  readonly #records: LineFileWriter;
  readonly #limits: ChunkLimits;
  #requestLines: string[] = [];
  #recordLines: string[] = [];
  #count = { requests: 0, records: 0, bytes: 0, tokens: 0 };

  constructor(files: ChunkFiles, limits: ChunkLimits) {
    this.#requests = new LineFileWriter(files.requests);
    this.#records = new LineFileWriter(files.records);
    this.#limits = limits;
  }

  get requests(): number {
    return this.#count.requests;
  }

  /** True when `request` can join this chunk without passing a limit. */
  fits(request: RequestLine): boolean {
    if (this.#count.requests === 0) return true;
    const c = this.#count;
    const limits = this.#limits;
    return (
      c.requests + 1 <= limits.maxRequests &&
      c.bytes + Buffer.byteLength(request.line) + 1 <= limits.maxBytes &&
      (limits.maxTokens === undefined || c.tokens + request.tokens <= limits.maxTokens)
    );
  }

  async add(request: RequestLine, records: readonly ChunkRecord[]): Promise<void> {
    this.#requestLines.push(request.line);
    for (const record of records) this.#recordLines.push(JSON.stringify(record));
    this.#count.requests++;
    this.#count.records += records.length;
    this.#count.bytes += Buffer.byteLength(request.line) + 1;
    this.#count.tokens += request.tokens;
    if (this.#requestLines.length >= WRITE_GROUP) await this.#flush();
  }

  /** Writes what is buffered, fsyncs and closes both files. */
  async close(): Promise<ClosedChunk> {
    await this.#flush();
    await this.#requests.finish();
    await this.#records.finish();
    return { ...this.#count };
  }

  /** Closes without promising anything (the job is stopping; the chunk will be written again). */
  async abandon(): Promise<void> {
    await this.#requests.abandon();
    await this.#records.abandon();
  }

  async #flush(): Promise<void> {
    await this.#requests.writeLines(this.#requestLines);
    await this.#records.writeLines(this.#recordLines);
    this.#requestLines = [];
    this.#recordLines = [];
  }
}
