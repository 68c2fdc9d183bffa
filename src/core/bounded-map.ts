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
  let next: Promise<IteratorResult<T>> | undefined;
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

  try {
    for (;;) {
      throwIfFatal();
      signal.throwIfAborted();
      while (slots.length > 0 && slots[0]!.done) {
        yield slots.shift()!.result as R;
        throwIfFatal();
      }
      if (!sourceDone && next === undefined && held() < window) next = iterator.next();
      if (sourceDone && held() === 0) return;
      const woken = new Promise<'task'>((resolve) => (wake = () => resolve('task')));
      const winner = await (next ? Promise.race([next, woken]) : woken);
      if (winner === 'task') continue;
      next = undefined;
      if (winner.done) {
        sourceDone = true;
        continue;
      }
      const slot: { done: boolean; result?: R } = { done: false };
      if (ordered) slots.push(slot);
      inProgress++;
      fn(winner.value).then(
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
    }
  } finally {
    wake = undefined;
    if (!sourceDone) await iterator.return?.();
  }
}
