import type { AcquireOptions, CallCost, CallOutcome, Limiter, Permit } from '../../../src/limiter/limiter.ts';
import type { CallObserver } from '../../../src/llm/call-observer.ts';
import {
  ModelCallError,
  type ModelClient,
  type ModelRequest,
  type ModelResponse,
} from '../../../src/llm/model-client.ts';

/** Shared test doubles for the llm layer: a scripted client, a counting limiter, a recording observer. */

export type Step = ModelResponse | ModelCallError | Error;

export function okResponse(raw = '{"ok":true}', extra: Partial<ModelResponse> = {}): ModelResponse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    void error; // malformed on purpose in some tests: no parsed value, like the real client
    parsed = undefined;
  }
  return {
    raw,
    parsed,
    usage: { inputTokens: 10, outputTokens: 5 },
    model: 'sim-model',
    finishReason: 'stop',
    headers: {},
    latencyMs: 7,
    ...extra,
  };
}

/** A client answering each call with the next scripted step (the last one repeats). */
export function scriptedClient(steps: Step[], log: string[] = []): ModelClient & { calls: ModelRequest[] } {
  const calls: ModelRequest[] = [];
  return {
    model: 'test-model',
    provider: 'test',
    calls,
    async call(request) {
      calls.push(request);
      const step = steps[Math.min(calls.length - 1, steps.length - 1)]!;
      log.push(`call${calls.length}`);
      if (step instanceof Error) throw step;
      return step;
    },
  };
}

/** Admits immediately, counts, and logs acquire/release/pause in order. */
export class CountingLimiter implements Limiter {
  readonly log: string[];
  readonly outcomes: CallOutcome[] = [];
  readonly costs: CallCost[] = [];
  /** `retry` of each acquisition (retries wait ahead of first attempts in the real limiter). */
  readonly retryFlags: boolean[] = [];
  readonly pauses: number[] = [];
  inFlight = 0;
  limit = 4;
  maxLimit = 4;
  constructor(log: string[] = []) {
    this.log = log;
  }
  async acquire(cost: CallCost, _signal: AbortSignal, options?: AcquireOptions): Promise<Permit> {
    this.costs.push(cost);
    this.retryFlags.push(options?.retry === true);
    this.inFlight++;
    this.log.push('acquire');
    let released = false;
    return {
      release: (outcome) => {
        if (released) throw new Error('permit released twice');
        released = true;
        this.inFlight--;
        this.outcomes.push(outcome);
        this.log.push(`release:${outcome.kind}`);
      },
    };
  }
  pauseUntil(until: number): void {
    this.pauses.push(until);
    this.log.push(`pause:${until}`);
  }
}

/** Records every hook call, to check the CallObserver contract. */
export function recordingObserver(): CallObserver & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    startCall(info) {
      events.push(`start:${info.recordIds.join(',')}`);
      return {
        permitWaited: (ms) => events.push(`waited:${ms}`),
        attemptStarted: (n) => events.push(`attempt:${n}`),
        attemptEnded: (r) =>
          events.push(`ended:${r.attempt}:${r.reason ?? 'ok'}${r.backoffMs !== undefined ? `:${r.backoffMs}` : ''}`),
        end: (r) => events.push(`end:${r.ok}:${r.attempts}${r.errorType ? `:${r.errorType}` : ''}`),
        run: (fn) => fn(),
      };
    },
  };
}

export function http(status: number, body: object | string, headers: Record<string, string> = {}): ModelCallError {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  let message = `${status} ${text}`;
  let providerCode: string | undefined;
  let providerType: string | undefined;
  if (typeof body === 'object' && 'error' in body && typeof body.error === 'object' && body.error !== null) {
    const e = body.error as { message?: string; code?: string; type?: string };
    message = `${status} ${e.message ?? ''}`;
    providerCode = e.code;
    providerType = e.type;
  }
  return new ModelCallError(message, { status, providerCode, providerType, headers });
}
