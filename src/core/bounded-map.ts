/**
 * A bounded concurrent map over an async iterable: at most `window` items pulled and not yet emitted (an
 * outstanding pull counts as one) — the window of llm-map and llm-map-packed (docs/architecture.md, house rule 4). Ordered: results leave in input
 * order (head of line); unordered: as they finish. The first rejection of `fn` ends the iteration with that error
 * (after which remaining tasks are the caller's to cancel through its signal). Nothing is read while the consumer
 * does not pull.
 */
export async function* boundedMap<T, R>(
  source: AsyncIterable<T>,
  fn: (item: T) => Promise<R>,
  options: { window: number; ordered: boolean; signal: AbortSignal },
): AsyncGenerator<R> {
  const { window, ordered, signal } = options;
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`window must be an integer ≥ 1 (got ${window})`);
  const iterator = source[Symbol.asyncIterator]();
  const slots: Array<{ done: boolean; result?: R }> = [];
  let inProgress = 0;
  const state: { fatal?: { error: unknown } } = {};
  // One pull at a time; its result waits in `pulled` until the loop takes it. Pulls and tasks wake the loop through
  // `notify`, so each wait is one promise — no Promise.race (and its reactions) per item.
  let pulling = false;
  let pulled: IteratorResult<T> | undefined;
  let sourceDone = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const held = (): number => (ordered ? slots.length : inProgress + slots.length);
  const throwIfFatal = (): void => {
    if (state.fatal) throw state.fatal.error;
  };
  const onPulled = (result: IteratorResult<T>): void => {
    pulling = false;
    pulled = result;
    notify();
  };
  const onPullFailed = (error: unknown): void => {
    pulling = false;
    sourceDone = true; // a failed source is done: nothing to return() at the end
    state.fatal ??= { error };
    notify();
  };

  const start = (item: T): void => {
    const slot: { done: boolean; result?: R } = { done: false };
    if (ordered) slots.push(slot);
    inProgress++;
    fn(item).then(
      (result) => {
        inProgress--;
        slot.done = true;
        slot.result = result;
        if (!ordered) slots.push(slot);
        notify();
      },
      (error: unknown) => {
        inProgress--;
        state.fatal ??= { error };
        notify();
      },
    );
  };

  try {
    for (;;) {
      throwIfFatal();
      signal.throwIfAborted();
      while (slots.length > 0 && slots[0]!.done) {
        yield slots.shift()!.result as R;
        throwIfFatal();
      }
      if (pulled) {
        const result = pulled;
        pulled = undefined;
        if (result.done) sourceDone = true;
        else start(result.value);
        continue;
      }
      if (!sourceDone && !pulling && held() < window) {
        pulling = true;
        iterator.next().then(onPulled, onPullFailed);
      }
      if (sourceDone && held() === 0) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    wake = undefined;
    if (!sourceDone) await iterator.return?.();
  }
}
