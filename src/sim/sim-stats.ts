/** Counters of one simulator instance, served by `GET /sim/stats` and `stats()`; zeroed by `POST /sim/reset`. */

export interface SimStats {
  profile: string;
  timeScale: number;
  /** Chat requests received (valid or not). */
  received: number;
  /**
   * Wall-clock time (epoch ms, Date.now()) the first chat request arrived, or null before any: another process can
   * compare it with its own clock (bench/startup.ts measures a client's launch → first request with it).
   */
  firstRequestAt: number | null;
  /** Requests that passed validation, the admission cap, quota and rate limits. */
  admitted: number;
  /** Admitted requests that got their 200 answer (faulty content included). */
  completed: number;
  /** Refused before admission, by reason: bad_request, rate_requests, rate_tokens, request_too_large, quota, overloaded. */
  rejected: Record<string, number>;
  /** Admitted requests that failed: status_500, status_502, status_503, reset, forced_<status>. */
  failed: Record<string, number>;
  /** Admitted requests whose client went away before the answer (their slot is freed at once). */
  aborted: number;
  /** Content faults served: malformed, schema_invalid, truncate. */
  faults: Record<string, number>;
  /** Admitted and not finished (waiting + running). */
  inFlight: number;
  maxInFlight: number;
  running: number;
  waiting: number;
  maxWaiting: number;
  /** vllm: requests preempted and restarted. */
  preempted: number;
  /** Prompt tokens (chars/4) of admitted requests; completion tokens of served answers. */
  tokensIn: number;
  tokensOut: number;
  /** Every HTTP response by status code. */
  byStatus: Record<string, number>;
}

export function emptyStats(profile: string, timeScale: number): SimStats {
  return {
    profile,
    timeScale,
    received: 0,
    firstRequestAt: null,
    admitted: 0,
    completed: 0,
    rejected: {},
    failed: {},
    aborted: 0,
    faults: {},
    inFlight: 0,
    maxInFlight: 0,
    running: 0,
    waiting: 0,
    maxWaiting: 0,
    preempted: 0,
    tokensIn: 0,
    tokensOut: 0,
    byStatus: {},
  };
}

export function bump(counter: Record<string, number>, key: string | number, by = 1): void {
  counter[key] = (counter[key] ?? 0) + by;
}

/** A deep copy safe to hand out. */
export function copyStats(s: SimStats): SimStats {
  return {
    ...s,
    rejected: { ...s.rejected },
    failed: { ...s.failed },
    faults: { ...s.faults },
    byStatus: { ...s.byStatus },
  };
}
