/**
 * Hooks around one logical model call (all its attempts), so telemetry is applied by the framework and not
 * sprinkled inside the retry loop (docs/architecture.md, house rule 8). The retry layer drives a CallScope; the telemetry
 * module implements CallObserver with OpenTelemetry spans. `noopObserver` is the default.
 *
 * Contract: `startCall` once per logical call; then, per attempt, `permitWaited` (time spent waiting for a
 * limiter permit, apart from model time), `attemptStarted`, `attemptEnded`; finally `end` exactly once.
 * `run` executes an attempt's HTTP work inside the call's context (so HTTP spans nest under it).
 * Never pass prompt text or secrets through these hooks unless the caller opted in (`content`).
 */

import type { TokenUsage } from './model-client.ts';

export interface CallInfo {
  readonly model: string;
  readonly provider: string;
  readonly recordIds: readonly string[];
  readonly schemaName: string;
  readonly maxTokens: number;
  /** Only present when the user opted in to recording prompt text: the request's messages, each with its role. */
  readonly content?: { readonly messages: ReadonlyArray<{ readonly role: string; readonly content: string }> };
  /** W3C trace headers of the record's source message (Kafka), so the call continues the upstream trace. */
  readonly traceHeaders?: Readonly<Record<string, string>>;
  /** When the call began (epoch ms; it may have waited for its first permit before `startCall`). Default: now. */
  readonly startedAt?: number;
}

export interface AttemptResult {
  readonly attempt: number;
  readonly status?: number;
  /** Classified reason on failure (`rate_limited`, `server_error`, ...); absent on success. */
  readonly reason?: string;
  readonly latencyMs: number;
  /** Delay before the next attempt, when there is one. */
  readonly backoffMs?: number;
  readonly usage?: TokenUsage;
  readonly finishReason?: string;
  readonly responseModel?: string;
}

export interface CallEnd {
  readonly ok: boolean;
  readonly attempts: number;
  /** Failure class when !ok, used as `error.type`. */
  readonly errorType?: string;
  readonly usage?: TokenUsage;
  readonly finishReason?: string;
  readonly responseModel?: string;
  /** Only present when the user opted in to recording answer text. */
  readonly answer?: string;
}

export interface CallScope {
  permitWaited(ms: number): void;
  attemptStarted(attempt: number): void;
  attemptEnded(result: AttemptResult): void;
  end(result: CallEnd): void;
  run<T>(fn: () => Promise<T>): Promise<T>;
}

export interface CallObserver {
  /**
   * True when this observer records prompt and answer text because the user opted in (`--record-content`):
   * only then does the caller fill `CallInfo.content` and `CallEnd.answer`. Absent/false: never pass them.
   */
  readonly recordsContent?: boolean;
  startCall(info: CallInfo): CallScope;
}

const noopScope: CallScope = {
  permitWaited() {},
  attemptStarted() {},
  attemptEnded() {},
  end() {},
  run: (fn) => fn(),
};

export const noopObserver: CallObserver = { startCall: () => noopScope };

/**
 * A scope that starts the observer's call only when its first attempt starts (`startCall` with the time the call
 * began), replaying the permit waits reported before it: a call that never started — its record was left
 * unfinished by a stopping job — leaves no span and no metric. `run` runs its work outside the call's context
 * (the call does not exist yet); sluice installs no async context manager by default, so nothing nests by it.
 */
export function deferredCallScope(start: (startedAt: number) => CallScope, now: () => number): CallScope {
  const startedAt = now();
  let scope: CallScope | undefined;
  const waits: number[] = [];
  return {
    permitWaited(ms) {
      if (scope) scope.permitWaited(ms);
      else waits.push(ms);
    },
    attemptStarted(attempt) {
      if (!scope) {
        scope = start(startedAt);
        for (const ms of waits.splice(0)) scope.permitWaited(ms);
      }
      scope.attemptStarted(attempt);
    },
    attemptEnded(result) {
      scope?.attemptEnded(result);
    },
    end(result) {
      scope?.end(result);
    },
    run: (fn) => (scope ? scope.run(fn) : fn()),
  };
}
