/**
 * The simulator's decisions, free of HTTP: admission (cap, quota, rate buckets), the run queue, per-attempt
 * latency, injected errors and content, and the counters. Model time = real time × timeScale, so the engine divides
 * every model duration by timeScale when it hands a real delay to the server, and headers/hints are in real time.
 */
import type { ChatRequest } from './chat-request.ts';
import type { Directives } from './directives.ts';
import { forcedErrorBody, sampleError, SERVER_ERROR_TEXT } from './error-injection.ts';
import { isBrownout, sampleLatency } from './latency-model.ts';
import {
  errorBody,
  goDuration,
  QUOTA_MESSAGE,
  rateLimitMessage,
  requestTooLargeMessage,
  tokensOf,
} from './openai-shapes.ts';
import type { ProfileParams } from './profiles.ts';
import { RateBuckets, type Rejection } from './rate-buckets.ts';
import { createRng, type Rng } from './rng.ts';
import { RunQueue } from './run-queue.ts';
import { simulatedContent } from './simulated-content.ts';
import { bump, copyStats, emptyStats, type SimStats } from './sim-stats.ts';

export type Headers = Record<string, string>;

/** An immediate or delayed error answer. */
export interface Refusal {
  status: number;
  body: string;
  headers: Headers;
  delayMs: number;
}

/** What an admitted request does once it runs. */
export interface Plan {
  /** Real ms to the first byte (streaming) and in total. */
  ttftMs: number;
  totalMs: number;
  /** Set when the attempt fails with an HTTP error (answered after totalMs). */
  error: Refusal | undefined;
  /** Destroy the connection after headers and part of the body. */
  reset: boolean;
  /** The answer text (message content or tool arguments) and its finish reason. */
  text: string;
  finishReason: 'stop' | 'length';
  /**
   * usage.completion_tokens: the tokens the latency was drawn for (k), or the answer's own tokens when longer. The
   * simulated analysis is shorter than k, so k stands for tokens generated but not shown (a reasoning model bills
   * those too): latency per reported token is then as steady as a real server's, which a client that normalises
   * latency by size relies on.
   */
  completionTokens: number;
}

export interface EngineOptions {
  profileName: string;
  timeScale: number;
  seed: number;
  /** Real clock in ms (injected for tests). */
  nowMs: () => number;
}

export class SimEngine {
  private readonly rng: Rng;
  private readonly startMs: number;
  private buckets: RateBuckets;
  private readonly queue: RunQueue;
  private counters: SimStats;

  constructor(
    readonly params: ProfileParams,
    readonly options: EngineOptions,
  ) {
    this.rng = createRng(options.seed);
    this.startMs = options.nowMs();
    this.buckets = new RateBuckets(params, 0);
    this.queue = new RunQueue(params.latencyModel === 'vllm' && params.maxRunning > 0 ? params.maxRunning : Infinity);
    this.counters = emptyStats(options.profileName, options.timeScale);
  }

  /** Model seconds since start. */
  modelNow(): number {
    return ((this.options.nowMs() - this.startMs) / 1000) * this.options.timeScale;
  }

  private realMs(modelSeconds: number): number {
    return (modelSeconds * 1000) / this.options.timeScale;
  }

  stats(): SimStats {
    const s = copyStats(this.counters);
    s.running = this.queue.runningCount;
    s.waiting = this.queue.waitingCount;
    return s;
  }

  /** Zero the counters and refill the buckets (in-flight requests keep counting). */
  reset(): void {
    const inFlight = this.counters.inFlight;
    this.counters = emptyStats(this.options.profileName, this.options.timeScale);
    this.counters.inFlight = inFlight;
    this.buckets = new RateBuckets(this.params, this.modelNow());
  }

  countResponse(status: number): void {
    bump(this.counters.byStatus, status);
  }

  countBadRequest(): void {
    this.counters.received++;
    this.counters.firstRequestAt ??= Date.now();
    bump(this.counters.rejected, 'bad_request');
  }

  /** x-ratelimit-* headers (real-time units), or an empty object for unlimited profiles. */
  rateHeaders(): Headers {
    if (!this.buckets.limited) return {};
    const v = this.buckets.view(this.modelNow());
    const ts = this.options.timeScale;
    const h: Headers = {};
    if (v.requests) {
      h['x-ratelimit-limit-requests'] = String(Math.round(v.requests.limit * ts));
      h['x-ratelimit-remaining-requests'] = String(v.requests.remaining);
      h['x-ratelimit-reset-requests'] = goDuration(v.requests.resetS / ts);
    }
    if (v.tokens) {
      h['x-ratelimit-limit-tokens'] = String(Math.round(v.tokens.limit * ts));
      h['x-ratelimit-remaining-tokens'] = String(v.tokens.remaining);
      h['x-ratelimit-reset-tokens'] = goDuration(v.tokens.resetS / ts);
    }
    return h;
  }

  /** Admission: a Refusal, or undefined when admitted (the caller must then call start(), and later finish()). */
  admit(req: ChatRequest): Refusal | undefined {
    const c = this.counters;
    c.received++;
    c.firstRequestAt ??= Date.now();
    const p = this.params;
    if (p.admissionCap > 0 && c.inFlight >= p.admissionCap) {
      bump(c.rejected, 'overloaded');
      const body =
        p.admissionStatus === 429
          ? JSON.stringify({ error: 'Model is overloaded', error_type: 'overloaded' })
          : errorBody(SERVER_ERROR_TEXT[503] ?? 'overloaded', 'server_error');
      return { status: p.admissionStatus, body, headers: {}, delayMs: 0 };
    }
    const rejection = this.buckets.tryAdmit(this.modelNow(), req.promptTokens + (req.maxTokens ?? 0));
    if (rejection) return this.rateRefusal(req, rejection);
    c.admitted++;
    c.inFlight++;
    if (c.inFlight > c.maxInFlight) c.maxInFlight = c.inFlight;
    c.tokensIn += req.promptTokens;
    return undefined;
  }

  private rateRefusal(req: ChatRequest, r: Rejection): Refusal {
    const headers = this.rateHeaders();
    const delayMs = this.realMs(this.params.rejectLatencyS);
    if (r.kind === 'quota') {
      bump(this.counters.rejected, 'quota');
      return {
        status: 429,
        body: errorBody(QUOTA_MESSAGE, 'insufficient_quota', null, 'insufficient_quota'),
        headers,
        delayMs,
      };
    }
    const ts = this.options.timeScale;
    if (r.tooLarge) {
      bump(this.counters.rejected, 'request_too_large');
      return {
        status: 429,
        body: errorBody(
          requestTooLargeMessage(req.model, this.params.org, Math.round(r.limit * ts), r.requested),
          'tokens',
          null,
          'rate_limit_exceeded',
        ),
        headers,
        delayMs,
      };
    }
    bump(this.counters.rejected, r.kind === 'tokens' ? 'rate_tokens' : 'rate_requests');
    const waitS = r.waitS / ts;
    const limit = r.window === 'second' || r.window === 'day' ? r.limit : Math.round(r.limit * ts);
    const message = rateLimitMessage(req.model, this.params.org, r.window, limit, r.used, r.requested, waitS);
    headers['retry-after'] = String(Math.max(1, Math.ceil(waitS)));
    headers['retry-after-ms'] = String(Math.ceil(waitS * 1000));
    return { status: 429, body: errorBody(message, r.kind, null, 'rate_limit_exceeded'), headers, delayMs };
  }

  /** Wait for a run slot (vllm FIFO); undefined when one is free now. */
  waitForSlot(): Promise<void> | undefined {
    const wait = this.queue.acquire();
    if (wait) {
      const c = this.counters;
      const waiting = this.queue.waitingCount;
      if (waiting > c.maxWaiting) c.maxWaiting = waiting;
    }
    return wait;
  }

  /** Decide latency, errors and content of an admitted request that now runs. */
  plan(req: ChatRequest, directives: Directives): Plan {
    const p = this.params;
    const brownout = isBrownout(p, this.modelNow());
    const lat = sampleLatency(p, this.rng, { running: this.queue.runningCount, maxTokens: req.maxTokens, brownout });
    if (lat.preempted) this.counters.preempted++;
    let ttftMs = this.realMs(lat.ttftS);
    let totalMs = this.realMs(lat.totalS);
    if (directives.latencyMs !== undefined) {
      totalMs = directives.latencyMs;
      ttftMs = Math.min(ttftMs, totalMs);
    }
    const injected =
      directives.status !== undefined || directives.reset ? undefined : sampleError(p, this.rng, brownout);
    let error: Refusal | undefined;
    if (directives.status !== undefined && directives.status !== 200) error = this.forcedError(req, directives.status);
    else if (injected?.kind === 'status') {
      const headers = this.rateHeaders();
      if (injected.retryAfterS !== undefined) headers['retry-after'] = String(injected.retryAfterS);
      const text = SERVER_ERROR_TEXT[injected.status] ?? 'Server error.';
      error = { status: injected.status, body: errorBody(text, 'server_error'), headers, delayMs: 0 };
    }
    if (error) {
      const ms = directives.latencyMs ?? this.realMs(p.errorDelayS);
      return { ttftMs: ms, totalMs: ms, error, reset: false, text: '', finishReason: 'stop', completionTokens: 0 };
    }
    const rendered = simulatedContent(req, directives, p, this.rng, this.counters.faults);
    return {
      ttftMs,
      totalMs,
      error: undefined,
      reset: directives.reset === true || injected?.kind === 'reset',
      text: rendered.text,
      finishReason: rendered.finishReason,
      completionTokens: Math.max(tokensOf(rendered.text), lat.outputTokens),
    };
  }

  private forcedError(req: ChatRequest, status: number): Refusal {
    const headers = this.rateHeaders();
    if (status === 429) {
      headers['retry-after'] = '1';
      headers['retry-after-ms'] = '1000';
    } else if (status === 502 || status === 503) headers['retry-after'] = '1';
    return { status, body: forcedErrorBody(req.model, this.params.org, status), headers, delayMs: 0 };
  }

  /**
   * An admitted request is over (answered, failed, reset, or abandoned by its client): frees its run slot.
   * `plan` is undefined only for a request abandoned before it ran.
   */
  finish(plan: Plan | undefined, forced: boolean, aborted = false): void {
    const c = this.counters;
    c.inFlight--;
    this.queue.release();
    if (aborted || !plan) c.aborted++;
    else if (plan.error) bump(c.failed, forced ? `forced_${plan.error.status}` : `status_${plan.error.status}`);
    else if (plan.reset) bump(c.failed, 'reset');
    else {
      c.completed++;
      c.tokensOut += plan.completionTokens;
    }
  }
}
