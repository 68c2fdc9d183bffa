/**
 * A bounded single-reader async queue: `push` waits while `capacity` items are buffered (backpressure), the
 * reader iterates with `for await`. `end()` finishes the iteration after the buffered items; `fail(error)` wakes
 * the reader and every waiting writer with the error. When the reader stops early, later pushes reject, so a
 * producer can never block forever on a consumer that left.
 */
/** A push after the reader left: the reader's own error (or early return) is the one to report, not this. */
export class ChannelReaderGone extends Error {
  constructor() {
    super('the consumer of this channel stopped before its input ended');
    this.name = 'ChannelReaderGone';
  }
}

export class AsyncChannel<T> implements AsyncIterable<T> {
  readonly #capacity: number;
  readonly #items: T[] = [];
  #ended = false;
  #readerGone = false;
  #error: { error: unknown } | undefined;
  #wakeReader: (() => void) | undefined;
  #wakeWriters: (() => void)[] = [];

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`channel capacity must be an integer ≥ 1, got ${capacity}`);
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#items.length;
  }

  /** True once `end()` was called and every buffered item was read. */
  get drained(): boolean {
    return this.#ended && this.#items.length === 0;
  }

  async push(item: T): Promise<void> {
    for (;;) {
      if (this.#error) throw this.#error.error;
      if (this.#readerGone) throw new ChannelReaderGone();
      if (this.#ended) throw new Error('push after end');
      if (this.#items.length < this.#capacity) break;
      await new Promise<void>((resolve) => this.#wakeWriters.push(resolve));
    }
    this.#items.push(item);
    this.#notifyReader();
  }

  end(): void {
    this.#ended = true;
    this.#notifyReader();
  }

  fail(error: unknown): void {
    this.#error ??= { error };
    this.#notifyReader();
    this.#notifyWriters();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    try {
      for (;;) {
        if (this.#error) throw this.#error.error;
        if (this.#items.length > 0) {
          const item = this.#items.shift() as T;
          this.#notifyWriters();
          yield item;
          continue;
        }
        if (this.#ended) return;
        await new Promise<void>((resolve) => {
          this.#wakeReader = resolve;
        });
      }
    } finally {
      if (!this.#ended || this.#items.length > 0) {
        this.#readerGone = true;
        this.#notifyWriters();
      }
    }
  }

  #notifyReader(): void {
    const wake = this.#wakeReader;
    this.#wakeReader = undefined;
    wake?.();
  }

  #notifyWriters(): void {
    const writers = this.#wakeWriters;
    this.#wakeWriters = [];
    for (const wake of writers) wake();
  }
}
