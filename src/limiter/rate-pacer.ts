import type { CallCost, RateHeaders } from './limiter.ts';

/**
 * Mirrors the provider's rate-limit buckets from the `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`
 * response headers (as llm/provider-headers reads them), so admissions never ask for more than the provider will
 * grant (docs/profiles.md):
 * - `limit` is the per-minute rate: each bucket refills continuously at limit/60 s; its capacity (one minute of
 *   limit at a real provider) is learnt as remaining + rate × reset, the level the bucket refills to — which
 *   also holds against a time-scaled simulator, whose headers announce the real-time rate (limit × scale) and a
 *   bucket of one model minute;
 * - each admission is charged like the provider charges: 1 request, prompt estimate + max_tokens tokens;
 * - every response re-syncs the local level with the provider's `remaining`, less what we admitted after that
 *   call: down at once, up by a tenth of the gap. The provider counted only the calls that had reached it when
 *   the answer left; calls we admitted later may still be on their way (a gateway in between, a busy event
 *   loop), and taking `remaining` as it stands would forget their charges and buy 429s when the bucket runs dry
 *   (seen through the LiteLLM proxy: two in 300 calls). Subtracting all of them over-counts the ones that did
 *   arrive, so the mirror runs up to rate × latency below the provider — a smaller burst, the same sustained
 *   rate. Trusting a higher `remaining` only slowly keeps the same caution, while the pull still corrects
 *   drift (our planned refill runs 1% slow; `remaining` is floored);
 * - with no headers seen it imposes nothing (`waitMs` = 0), and a call larger than a whole bucket is let
 *   through (the provider rejects it outright; waiting would never help);
 * - providers may also enforce limits per second ("60,000 RPM ≈ 1,000/s, so bursts 429 below the per-minute
 *   figure"); the headers do not say so, but a rate 429 while both minute buckets had room for the call does.
 *   From then on requests also pass a smoothing bucket refilled at 0.97 × the request rate holding 2% of a
 *   second's worth (a second = 1/60 of the bucket's window): any whole second then sees at most
 *   0.02·r + 0.97·r < r admissions, and timers firing a little late lose little of the refill;
 * - several processes (or jobs) may spend the same buckets, each seeing only the provider's `remaining`: each
 *   plans with a share of the refill, cut ×0.7 on a rate rejection and given back 0.33%/share per success (AIMD),
 *   so they converge to equal shares instead of racing for every refilled request (one process alone keeps ≈ 1).
 */

/** Congestion answers with room in the minute buckets, within one second, that reveal per-second enforcement. */
const PER_SECOND_EVIDENCE = 5;
/** Once per-second enforcement is detected: the smoothing bucket's refill and burst, as fractions of the rate. */
const PER_SECOND_RATE = 0.97;
const PER_SECOND_BURST = 0.02;
/**
 * AIMD of the planned share of the refill: ×0.7 on a rate rejection, never below 5%; + SHARE_INCREASE/share per
 * success. Successes come at a rate proportional to the share, so every process's share grows by the same amount
 * per second, SHARE_INCREASE per request the whole refill allows (+0.028/s at 500 RPM) — the additive increase that
 * makes AIMD converge to equal shares (Chiu & Jain, 1989). A fixed +1% per success would grow a larger share
 * faster: multiplicative in effect, it keeps the ratio of shares wherever the cuts left it.
 */
const SHARE_DECREASE = 0.7;
const SHARE_INCREASE = 0.0033;
const MIN_SHARE = 0.05;

export type BucketKind = 'requests' | 'tokens' | 'second';

interface BucketState {
  capacity: number;
  level: number;
  /** Refill per ms. */
  rate: number;
  at: number;
}

export interface RatePacerOptions {
  /** Fraction of the learnt refill rate the pacer plans with (clock skew, rounding of reset values). */
  readonly safety?: number;
}

/** Cumulative charges right after one admission, its own included: `charge` returns it, `observe` takes it back. */
export interface ChargeMark {
  readonly requests: number;
  readonly tokens: number;
}

export interface ObserveOptions {
  /** The cost of a call that came back as congestion (429/503), to detect per-second enforcement. */
  readonly congested?: CallCost;
  /** What `charge` returned when the answered call was admitted; without it nothing counts as still on its way. */
  readonly admitted?: ChargeMark;
}

export interface BucketSnapshot {
  readonly capacity: number;
  readonly level: number;
  readonly ratePerSecond: number;
}

export class RatePacer {
  readonly #buckets = new Map<BucketKind, BucketState>();
  readonly #safety: number;
  /** Times of congestion answers that came while the minute buckets had room. */
  #evidence: number[] = [];
  /** Fraction of the provider's refill this process plans with (AIMD; < 1 while others share the buckets). */
  #share = 1;
  #lastCutAt = Number.NEGATIVE_INFINITY;
  /** Everything charged so far, headers seen or not. */
  readonly #charged = { requests: 0, tokens: 0 };

  constructor(options: RatePacerOptions = {}) {
    this.#safety = options.safety ?? 0.99;
  }

  /** True once rate headers have been seen. */
  get active(): boolean {
    return this.#buckets.size > 0;
  }

  /** Learns from one response's rate headers, received at `now`. */
  observe(rate: RateHeaders | undefined, now: number, options: ObserveOptions = {}): void {
    if (!rate) return;
    const { congested, admitted } = options;
    for (const kind of ['requests', 'tokens'] as const) {
      const announced = rate[kind];
      if (!announced) continue;
      const { limitPerMinute, remaining, resetMs } = announced;
      const perMs = limitPerMinute / 60_000;
      // remaining is floored, so remaining + rate·reset lands in (capacity − 1, capacity]: round up.
      const capacity =
        resetMs === undefined ? limitPerMinute : Math.max(remaining, Math.ceil(remaining + perMs * resetMs - 1e-6));
      const afterIt = remaining - (admitted ? this.#charged[kind] - admitted[kind] : 0);
      const bucket = this.#buckets.get(kind);
      if (!bucket) this.#buckets.set(kind, { capacity, level: afterIt, rate: perMs, at: now });
      else {
        this.#refill(bucket, now);
        const level = afterIt < bucket.level ? afterIt : bucket.level + (afterIt - bucket.level) / 10;
        Object.assign(bucket, { capacity, level: Math.min(capacity, level), rate: perMs });
      }
    }
    if (!this.active) return;
    if (congested) {
      if (!this.#buckets.has('second')) this.#detectPerSecond(rate, congested, now);
      this.#cutShare(now);
    } else this.#share = Math.min(1, this.#share + SHARE_INCREASE / this.#share);
  }

  /**
   * A rate rejection although our mirror planned within the provider's refill means someone else spends the
   * same buckets (other processes of the job, other jobs of the organisation): plan with less of the refill.
   * Multiplicative decrease at most once per "second" (1/60 of the bucket window), additive increase per unit
   * time (SHARE_INCREASE) — AIMD, so several processes sharing one limit converge to equal shares.
   */
  #cutShare(now: number): void {
    const minute = this.#buckets.get('requests') ?? this.#buckets.get('tokens');
    if (!minute) return;
    const secondMs = minute.capacity / minute.rate / 60;
    if (now - this.#lastCutAt < secondMs) return;
    this.#lastCutAt = now;
    this.#share = Math.max(MIN_SHARE, this.#share * SHARE_DECREASE);
  }

  /**
   * Per-second enforcement shows as congestion while both minute buckets had room. One such answer may be a
   * random 503 (which also carries rate headers), so it takes PER_SECOND_EVIDENCE of them within one "second"
   * (1/60 of the bucket's window) — a burst past a per-second cap produces dozens at once.
   */
  #detectPerSecond(rate: RateHeaders, cost: CallCost, now: number): void {
    const requests = rate.requests?.remaining ?? Number.NaN;
    const tokens = rate.tokens?.remaining ?? Number.POSITIVE_INFINITY;
    if (!(requests >= cost.requests && tokens >= cost.tokens)) return;
    const minute = this.#buckets.get('requests');
    if (!minute) return;
    const secondMs = minute.capacity / minute.rate / 60;
    this.#evidence = this.#evidence.filter((at) => now - at < secondMs);
    this.#evidence.push(now);
    if (this.#evidence.length < PER_SECOND_EVIDENCE) return;
    const capacity = Math.max(2, minute.rate * secondMs * PER_SECOND_BURST);
    this.#buckets.set('second', { capacity, level: 0, rate: (minute.rate * PER_SECOND_RATE) / this.#safety, at: now });
  }

  /** How long (ms from `now`) a call of this cost must wait before the buckets can take it; 0 = now. */
  waitMs(cost: CallCost, now: number): number {
    let wait = 0;
    for (const [kind, bucket] of this.#buckets) {
      const need = kind === 'tokens' ? cost.tokens : cost.requests;
      if (need > bucket.capacity) continue;
      this.#refill(bucket, now);
      if (bucket.level < need) wait = Math.max(wait, Math.ceil((need - bucket.level) / this.#plannedRate(bucket)));
    }
    return wait;
  }

  /**
   * Charges one admission (the provider charges at admission, even for requests it then rejects). The mark it
   * returns goes back to `observe` with the call's answer.
   */
  charge(cost: CallCost, now: number): ChargeMark {
    for (const [kind, bucket] of this.#buckets) {
      this.#refill(bucket, now);
      bucket.level -= kind === 'tokens' ? cost.tokens : cost.requests;
    }
    this.#charged.requests += cost.requests;
    this.#charged.tokens += cost.tokens;
    return { ...this.#charged };
  }

  /**
   * Calls per second the buckets sustain in steady state, for calls charging `tokensPerCall` tokens;
   * undefined before any header. Little's law turns it into an in-flight target.
   */
  sustainedRate(tokensPerCall: number): number | undefined {
    if (!this.active) return undefined;
    let rate = Number.POSITIVE_INFINITY;
    for (const [kind, bucket] of this.#buckets) {
      const perCall = kind === 'tokens' ? Math.max(1, tokensPerCall) : 1;
      rate = Math.min(rate, (this.#plannedRate(bucket) * 1000) / perCall);
    }
    return rate;
  }

  /** Calls of `tokensPerCall` tokens the buckets could admit right now (a burst on top of the sustained rate). */
  spareCalls(tokensPerCall: number, now: number): number {
    let spare = Number.POSITIVE_INFINITY;
    for (const [kind, bucket] of this.#buckets) {
      this.#refill(bucket, now);
      const perCall = kind === 'tokens' ? Math.max(1, tokensPerCall) : 1;
      spare = Math.min(spare, Math.max(0, Math.floor(bucket.level / perCall)));
    }
    return Number.isFinite(spare) ? spare : 0;
  }

  snapshot(now: number): Partial<Record<BucketKind, BucketSnapshot>> {
    const out: Partial<Record<BucketKind, BucketSnapshot>> = {};
    for (const [kind, bucket] of this.#buckets) {
      this.#refill(bucket, now);
      out[kind] = { capacity: bucket.capacity, level: bucket.level, ratePerSecond: bucket.rate * 1000 };
    }
    return out;
  }

  /** Refill per ms this process plans with: the provider's, less the safety margin, times our share. */
  #plannedRate(bucket: BucketState): number {
    return bucket.rate * this.#safety * this.#share;
  }

  #refill(bucket: BucketState, now: number): void {
    if (now > bucket.at)
      bucket.level = Math.min(bucket.capacity, bucket.level + this.#plannedRate(bucket) * (now - bucket.at));
    bucket.at = Math.max(bucket.at, now);
  }
}
