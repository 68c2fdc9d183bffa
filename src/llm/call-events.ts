import type { RunStats } from '../core/run-stats.ts';
import type { AttemptResult, CallEnd, CallScope } from './call-observer.ts';
import type { ModelResponse } from './model-client.ts';

/**
 * What happens during one logical model call, as the retry layer (llm/execute-call) reports it. One stream feeds
 * both the job's counters (`statsListener`: RunStats, which the progress line, the summary and the run metrics
 * read) and the call's telemetry (`scopeListener`: the CallScope of spans and per-call metrics), so the two
 * cannot disagree about what an attempt was.
 *
 * Sequence per attempt: `permit_waited`, `attempt_started`, then either `attempt_refused` (the client refused it
 * before it reached the provider: budget/budget-client — not an attempt) or `attempt_ended`; a retry adds
 * `backoff_started` … `backoff_ended`. `call_ended` comes exactly once, last.
 */
export type CallEvent =
  | { readonly type: 'permit_waited'; readonly ms: number; readonly limit: number }
  | { readonly type: 'attempt_started'; readonly attempt: number }
  | { readonly type: 'attempt_refused' }
  | { readonly type: 'attempt_ended'; readonly result: AttemptResult; readonly response?: ModelResponse }
  | { readonly type: 'backoff_started'; readonly reason: string }
  | { readonly type: 'backoff_ended' }
  | { readonly type: 'call_ended'; readonly end: CallEnd };

export type CallListener = (event: CallEvent) => void;

/** Job-wide counters: attempts (counted when they end: a refused one never was one), in flight, tokens, retries. */
export function statsListener(stats: RunStats): CallListener {
  return (event) => {
    switch (event.type) {
      case 'permit_waited':
        stats.concurrencyLimit = event.limit;
        return;
      case 'attempt_started':
        stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
        return;
      case 'attempt_refused':
        stats.inFlight--;
        return;
      case 'attempt_ended':
        stats.inFlight--;
        stats.attempts++;
        if (event.response) {
          stats.inputTokens += event.response.usage.inputTokens;
          stats.outputTokens += event.response.usage.outputTokens;
          stats.latencies.add(event.response.latencyMs);
        }
        return;
      case 'backoff_started':
        stats.countRetry(event.reason);
        stats.retrying++;
        return;
      case 'backoff_ended':
        stats.retrying--;
        return;
      case 'call_ended':
        return;
    }
  };
}

/** The call's telemetry scope (call-observer's contract) driven by the same events. */
export function scopeListener(scope: CallScope): CallListener {
  return (event) => {
    if (event.type === 'permit_waited') scope.permitWaited(event.ms);
    else if (event.type === 'attempt_started') scope.attemptStarted(event.attempt);
    else if (event.type === 'attempt_ended') scope.attemptEnded(event.result);
    else if (event.type === 'call_ended') scope.end(event.end);
  };
}
