/**
 * Fans one logical call out to several CallObservers (e.g. spans + metrics), so the retry layer keeps taking a
 * single observer. Hooks are forwarded in the order given; `run` nests: the first observer's context is
 * outermost, so with `combineCallObservers(spans, metrics)` the call span is active inside `fn`.
 * `recordsContent` is true when any observer records content (the others ignore the text they are given).
 */
import { noopObserver } from '../llm/call-observer.ts';
import type { AttemptResult, CallEnd, CallInfo, CallObserver, CallScope } from '../llm/call-observer.ts';

export function combineCallObservers(...observers: readonly CallObserver[]): CallObserver {
  const active = observers.filter((observer) => observer !== noopObserver);
  if (active.length === 0) return noopObserver;
  if (active.length === 1 && active[0] !== undefined) return active[0];
  return {
    recordsContent: active.some((observer) => observer.recordsContent === true),
    startCall(info: CallInfo): CallScope {
      const scopes = active.map((observer) => observer.startCall(info));
      return {
        permitWaited(ms: number) {
          for (const scope of scopes) scope.permitWaited(ms);
        },
        attemptStarted(attempt: number) {
          for (const scope of scopes) scope.attemptStarted(attempt);
        },
        attemptEnded(result: AttemptResult) {
          for (const scope of scopes) scope.attemptEnded(result);
        },
        end(result: CallEnd) {
          for (const scope of scopes) scope.end(result);
        },
        run<T>(fn: () => Promise<T>): Promise<T> {
          return scopes.reduceRight<() => Promise<T>>((inner, scope) => () => scope.run(inner), fn)();
        },
      };
    },
  };
}
