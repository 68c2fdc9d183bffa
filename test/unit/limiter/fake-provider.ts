/**
 * A test double of an OpenAI-style rate limiter (docs/profiles.md): request and token buckets refilling continuously
 * at limit/60 s with one minute of capacity, charged at admission (1 request, prompt estimate + max_tokens), a
 * rejected request still consumes a request, `remaining` floored, resets as Go durations; optionally at most
 * rpm/60 requests per whole second. Headers are computed when the answer leaves (`headers(now)`), as the
 * simulator and real providers do.
 */
import type { RateHeaders } from '../../../src/limiter/limiter.ts';
import { readRateHeaders } from '../../../src/llm/provider-headers.ts';

export class FakeProvider {
  #requests: number;
  #tokens: number;
  #at: number;
  #second = -1;
  #secondCount = 0;
  admitted = 0;
  rejected = 0;

  constructor(
    readonly rpm: number,
    readonly tpm: number,
    now: number,
    readonly perSecond = false,
  ) {
    this.#requests = rpm;
    this.#tokens = tpm;
    this.#at = now;
  }

  /** Tries to admit (and charge) a call at `now`. */
  admit(now: number, tokens: number): boolean {
    this.#refill(now);
    const second = Math.floor(now / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#secondCount = 0;
    }
    const secondFull = this.perSecond && this.#secondCount >= Math.floor(this.rpm / 60);
    const ok = !secondFull && this.#requests >= 1 && this.#tokens >= tokens;
    this.#requests = Math.max(0, this.#requests - 1);
    this.#secondCount++;
    if (ok) {
      this.#tokens -= tokens;
      this.admitted++;
    } else this.rejected++;
    return ok;
  }

  #refill(now: number): void {
    const dt = Math.max(0, now - this.#at);
    this.#at = Math.max(this.#at, now);
    this.#requests = Math.min(this.rpm, this.#requests + (dt * this.rpm) / 60_000);
    this.#tokens = Math.min(this.tpm, this.#tokens + (dt * this.tpm) / 60_000);
  }

  headers(now: number): Record<string, string> {
    this.#refill(now);
    return {
      'x-ratelimit-limit-requests': String(this.rpm),
      'x-ratelimit-remaining-requests': String(Math.floor(this.#requests)),
      'x-ratelimit-reset-requests': goDuration(((this.rpm - this.#requests) * 60_000) / this.rpm),
      'x-ratelimit-limit-tokens': String(this.tpm),
      'x-ratelimit-remaining-tokens': String(Math.floor(this.#tokens)),
      'x-ratelimit-reset-tokens': goDuration(((this.tpm - this.#tokens) * 60_000) / this.tpm),
    };
  }

  /** The headers as the limiter receives them (read by llm/provider-headers, as execute-call does). */
  rate(now: number): RateHeaders {
    return readRateHeaders(this.headers(now), now);
  }
}

/** Formats ms like Go's Duration.String() at millisecond precision: `12ms`, `1.5s`, `6m0s`. */
export function goDuration(ms: number): string {
  const rounded = Math.round(ms);
  if (rounded < 1000) return `${rounded}ms`;
  const minutes = Math.floor(rounded / 60_000);
  const seconds = (rounded - minutes * 60_000) / 1000;
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}
