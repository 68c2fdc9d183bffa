/**
 * The per-attempt signal: aborts when the job's signal aborts or after `timeoutMs`. Equivalent to
 * `AbortSignal.any([signal, AbortSignal.timeout(ms)])`, built from one controller and one timer because that
 * measured 4× cheaper per call on Node 20 (7 µs vs 28 µs), and this runs once per model call.
 * `clear()` must be called when the attempt ends, whatever its outcome.
 */
export function attemptDeadline(
  parent: AbortSignal,
  timeoutMs: number,
): { signal: AbortSignal; timedOut(): boolean; clear(): void } {
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = (): void => controller.abort(parent.reason);
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`attempt timed out after ${timeoutMs} ms`, 'TimeoutError'));
  }, timeoutMs);
  if (parent.aborted) onAbort();
  else parent.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    clear() {
      clearTimeout(timer);
      parent.removeEventListener('abort', onAbort);
    },
  };
}
