/**
 * OpenAI-style rate limiting as pure arithmetic over an injected clock (`now` in model seconds).
 *
 * Facts (docs/profiles.md): request and token buckets refill continuously at limit/60 per second with a capacity of one
 * minute of limit; charged at admission (1 request, prompt estimate + max_tokens tokens); a request larger than the
 * TPM is rejected outright; rejected requests still consume a request (floored at 0 here so the bucket never owes);
 * optionally at most rpm/60 requests in each whole second (per-second quantization); an optional daily request
 * bucket (RPD, capacity rpd, refill rpd/86,400 per second); optional quota exhaustion after N admitted requests.
 */

export interface RateLimits {
  rpm: number;
  tpm: number;
  rpd: number;
  perSecond: boolean;
  quotaRequests: number;
}

export type Rejection =
  | { kind: 'quota' }
  | {
      kind: 'requests' | 'tokens';
      /** Which limit: the minute buckets, the day bucket or the per-second window. */
      window: 'requests' | 'tokens' | 'day' | 'second';
      limit: number;
      used: number;
      requested: number;
      /** Model seconds until the same request would be admitted. */
      waitS: number;
      /** The request alone exceeds the TPM: waiting never helps. */
      tooLarge: boolean;
    };

export interface BucketView {
  limit: number;
  remaining: number;
  /** Model seconds until the bucket is full again. */
  resetS: number;
}

class Bucket {
  level: number;
  private at: number;
  constructor(
    readonly capacity: number,
    readonly ratePerS: number,
    now: number,
  ) {
    this.level = capacity;
    this.at = now;
  }
  refill(now: number): void {
    if (now > this.at) {
      this.level = Math.min(this.capacity, this.level + (now - this.at) * this.ratePerS);
      this.at = now;
    }
  }
  waitFor(amount: number): number {
    return Math.max(0, (amount - this.level) / this.ratePerS);
  }
  view(): BucketView {
    return {
      limit: this.capacity,
      remaining: Math.max(0, Math.floor(this.level)),
      resetS: (this.capacity - this.level) / this.ratePerS,
    };
  }
}

export class RateBuckets {
  private readonly requests: Bucket | undefined;
  private readonly tokens: Bucket | undefined;
  private readonly day: Bucket | undefined;
  private secondWindow = -1;
  private secondCount = 0;
  private admitted = 0;

  constructor(
    private readonly limits: RateLimits,
    now: number,
  ) {
    this.requests = limits.rpm > 0 ? new Bucket(limits.rpm, limits.rpm / 60, now) : undefined;
    this.tokens = limits.tpm > 0 ? new Bucket(limits.tpm, limits.tpm / 60, now) : undefined;
    this.day = limits.rpd > 0 ? new Bucket(limits.rpd, limits.rpd / 86_400, now) : undefined;
  }

  /** True when the profile has request or token limits (and so sends x-ratelimit-* headers). */
  get limited(): boolean {
    return this.requests !== undefined || this.tokens !== undefined;
  }

  /** Admit (and charge) a request costing `cost` tokens at model time `now`, or say why not. */
  tryAdmit(now: number, cost: number): Rejection | undefined {
    const { requests, tokens, day } = this;
    requests?.refill(now);
    tokens?.refill(now);
    day?.refill(now);
    if (this.limits.quotaRequests > 0 && this.admitted >= this.limits.quotaRequests) return { kind: 'quota' };
    const window = Math.floor(now);
    if (window !== this.secondWindow) {
      this.secondWindow = window;
      this.secondCount = 0;
    }
    const rejection = this.check(now, cost, window);
    if (rejection) {
      // A rejected request still consumes a request.
      if (requests) requests.level = Math.max(0, requests.level - 1);
      if (day) day.level = Math.max(0, day.level - 1);
      this.secondCount++;
      return rejection;
    }
    if (requests) requests.level -= 1;
    if (day) day.level -= 1;
    if (tokens) tokens.level -= cost;
    this.secondCount++;
    this.admitted++;
    return undefined;
  }

  private check(now: number, cost: number, window: number): Rejection | undefined {
    const { requests, tokens, day } = this;
    if (tokens && cost > tokens.capacity) {
      return {
        kind: 'tokens',
        window: 'tokens',
        limit: tokens.capacity,
        used: 0,
        requested: cost,
        waitS: 0,
        tooLarge: true,
      };
    }
    if (requests && this.limits.perSecond) {
      const perSecond = Math.max(1, Math.floor(requests.capacity / 60));
      if (this.secondCount >= perSecond) {
        return {
          kind: 'requests',
          window: 'second',
          limit: perSecond,
          used: this.secondCount,
          requested: 1,
          waitS: window + 1 - now,
          tooLarge: false,
        };
      }
    }
    if (requests && requests.level < 1) {
      return {
        kind: 'requests',
        window: 'requests',
        limit: requests.capacity,
        used: Math.round(requests.capacity - requests.level),
        requested: 1,
        waitS: requests.waitFor(1),
        tooLarge: false,
      };
    }
    if (day && day.level < 1) {
      return {
        kind: 'requests',
        window: 'day',
        limit: day.capacity,
        used: Math.round(day.capacity - day.level),
        requested: 1,
        waitS: day.waitFor(1),
        tooLarge: false,
      };
    }
    if (tokens && tokens.level < cost) {
      return {
        kind: 'tokens',
        window: 'tokens',
        limit: tokens.capacity,
        used: Math.round(tokens.capacity - tokens.level),
        requested: cost,
        waitS: tokens.waitFor(cost),
        tooLarge: false,
      };
    }
    return undefined;
  }

  /** Current state for x-ratelimit-* headers (after refilling to `now`). */
  view(now: number): { requests: BucketView | undefined; tokens: BucketView | undefined } {
    this.requests?.refill(now);
    this.tokens?.refill(now);
    return { requests: this.requests?.view(), tokens: this.tokens?.view() };
  }
}
