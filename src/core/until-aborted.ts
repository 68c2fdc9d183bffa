/**
 * Resolves like `promise`, or rejects with the abort reason as soon as `signal` aborts. The underlying work is
 * not cancelled (a kafkajs send, a pending iterator read cannot be): the caller just stops waiting for it.
 * The abort listener is removed when the promise settles, so long-lived signals do not accumulate listeners.
 */
export function untilAborted<R>(promise: Promise<R>, signal: AbortSignal | undefined): Promise<R> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<R>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
