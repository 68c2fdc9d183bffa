import type { LoadPoint, WindowSummary } from './sample-window.ts';

/**
 * Efficiency below which added load counts as queueing: between two windows at loads a < b with throughputs
 * x = load/latency (Little's law), g = (x_b/x_a − 1)/(b/a − 1) is what the added calls bought relative to the
 * calls already there (1: throughput grew with load, latency flat; 0: throughput flat, every added call only
 * waits). On a continuous-batching server, L(n) = L0·(1 + n/n½) gives g = L0/L(b) = 1/r(b) whatever a is, so the
 * gradient's tolerance T = 2.5 holds where g = 0.4; 0.35 lies past that (r > 2.86), so a batching server's curve
 * below its knee never trips this, while a server that queues (llama.cpp's slots, a gateway's worker, vLLM past
 * its KV-cache) gives g near 0.
 */
const QUEUE_EFFICIENCY = 0.35;
/** A comparison needs a load difference this large: smaller ones drown in the windows' noise. */
const MIN_LOAD_RATIO = 1.25;
/** Measurements remembered (a few round trips): old enough to span a ramp, young enough to follow the server. */
const HISTORY = 16;
/**
 * Successive windows at loads within this ratio are one measurement, their samples pooled: a small pool's windows
 * of 4 calls are each too noisy to tell queueing from chance, a few of them together are not.
 */
const SAME_LOAD_RATIO = 1.1;
/** Windows held at the ceiling before a probe (counting only windows the ceiling bound: see `binding`). */
const HOLD_WINDOWS = 16;
/** The probe's load: this multiple of the ceiling (at least one call more), large enough to measure. */
const PROBE_GROWTH = 1.5;
/** Windows a probe may take to give a clear answer before the ceiling goes back to where it was. */
const PROBE_WINDOWS = 2;
/**
 * The ceiling keeps this headroom over the estimated saturation load: estimates scatter by a call or so, a pool
 * one call short of the slots loses a whole slot's throughput, while one call over only waits a share of a
 * service time.
 */
const CEILING_HEADROOM = 1.1;
/**
 * Headroom over the calls a server said it served at once: the window's load is the mean in-flight count at
 * admission, which understates what a filling pool ran at, and the same Little's-law headroom as the rate pacer's.
 */
const SERVED_HEADROOM = 1.25;

type Point = LoadPoint;

/** What one window said about queueing. */
export type QueueVerdict =
  /** Throughput stopped growing with load: the ceiling was set (or lowered). */
  | 'queueing'
  /** A probe found the capacity above the old ceiling: no ceiling any more. */
  | 'cleared'
  /** The hold is over: the ceiling was raised for a probe, which the pool must now really load. */
  | 'probe'
  | 'none';

/**
 * Detects a server that queues the calls it cannot serve — latency rising with in-flight while completions per
 * second stay flat — and caps the in-flight count where throughput stopped growing. Pure math over window
 * summaries; no clock.
 *
 * - Each window b is compared with the earlier window a of the highest throughput among those at a load at most
 *   b/MIN_LOAD_RATIO (the last HISTORY windows; a window forgets the earlier ones at the same or more load that
 *   were clearly faster: the server slowed down, and they no longer describe it). Queueing is declared when the efficiency g (QUEUE_EFFICIENCY)
 *   is below 0.35 even at the top of its confidence band (two standard errors of both windows' latency), so
 *   noise alone does not trip it.
 * - The ceiling is then the load at which a's efficiency reaches b's throughput (saturationLoad).
 * - The ceiling is held HOLD_WINDOWS windows in which it bound the pool, then probed, alternately up and down
 *   (startProbe). Up (×1.5, at least
 *   +1): a window at the probe's load that queues again re-sets the ceiling from its own throughput; one whose
 *   throughput clearly grew (g ≥ 0.35 at the bottom of its band) clears it — a brownout that coincided with a
 *   load rise looks like queueing once, and the probe finds the capacity still there; no clear answer within
 *   PROBE_WINDOWS windows keeps the old ceiling. Down (÷1.5): PROBE_WINDOWS windows at less load, after which
 *   the windows back at the ceiling are compared with them.
 * - `timedOut(inFlight)`: a call given up after the attempt deadline while the pool's calls take a sizeable part
 *   of it is the strongest sign of queueing: the ceiling becomes half the in-flight count at once.
 */
export class QueueDetector {
  readonly #min: number;
  #history: Point[] = [];
  #ceiling = Number.POSITIVE_INFINITY;
  /** The probe under way: the ceiling it started from, its direction, windows measured so far. */
  #probe: { readonly from: number; readonly up: boolean; windows: number } | undefined;
  #nextProbeUp = true;
  #held = 0;
  /** The largest load a server said it served with no call waiting (`serverServed`): a floor for its ceiling. */
  #servedUnqueued = 0;

  constructor(minLimit = 1) {
    this.#min = minLimit;
  }

  /** The most calls the pool may keep in flight now; infinite until queueing was seen. */
  get ceiling(): number {
    return this.#ceiling;
  }

  /** Feeds one window summary (successful calls only). */
  observe(window: WindowSummary): QueueVerdict {
    const point: Point = {
      load: window.load,
      latency: window.latency,
      standardError: window.standardError,
      samples: window.samples,
    };
    // A window at no more load than an earlier one, yet clearly slower, says the server itself slowed down (a
    // brownout, longer prompts): the earlier window no longer describes it, and comparing with it would read the
    // slowdown as queueing.
    this.#history = this.#history.filter(
      (p) => !(point.load <= p.load && point.latency - 2 * point.standardError > p.latency + 2 * p.standardError),
    );
    const current = this.#record(point);
    const reference = this.#bestBelow(current.load);
    const gain = reference && efficiency(reference, current);
    if (reference && gain && gain.high < QUEUE_EFFICIENCY) {
      // Only ever lowers the ceiling (one set by timeouts stays); during an upward probe the ceiling is the raised
      // one, so the estimate may land above where the probe started.
      this.#ceiling = Math.min(
        this.#probe?.up === false ? this.#probe.from : this.#ceiling,
        saturationLoad(reference, current, this.#min),
      );
      this.#probe = undefined;
      this.#held = 0;
      return 'queueing';
    }
    if (!Number.isFinite(this.#ceiling)) return 'none';
    if (!this.#probe) {
      // Only a window the ceiling held back counts: when something else bounds the pool (a rate pacer, a short
      // input), probing the ceiling measures nothing and a downward probe would only cost throughput.
      if (window.peakInFlight >= Math.floor(this.#ceiling)) this.#held++;
      if (this.#held < HOLD_WINDOWS) return 'none';
      this.#startProbe();
      return 'probe';
    }
    // An upward probe's verdict needs a window really measured above the ceiling it started from.
    if (this.#probe.up && gain && current.load >= this.#probe.from * MIN_LOAD_RATIO && gain.low >= QUEUE_EFFICIENCY) {
      this.#ceiling = Number.POSITIVE_INFINITY;
      this.#probe = undefined;
      return 'cleared';
    }
    if (++this.#probe.windows < PROBE_WINDOWS) return 'none';
    // No clear answer up, or the low windows are measured: back to the ceiling the probe started from. After a
    // downward probe the next windows at the ceiling are compared with the low ones, and lower it if they queue.
    const restored = !this.#probe.up;
    this.#ceiling = this.#probe.from;
    this.#probe = undefined;
    this.#held = 0;
    return restored ? 'probe' : 'none';
  }

  /** Remembers a measurement as a reference for later windows, without a verdict of its own. */
  remember(point: LoadPoint): void {
    this.#record(point);
  }

  /** Adds a measurement to the history, pooled with the last one when at about the same load; returns it. */
  #record(point: Point): Point {
    const last = this.#history.at(-1);
    if (last && Math.max(last.load, point.load) <= SAME_LOAD_RATIO * Math.min(last.load, point.load)) {
      const pooled = pool(last, point);
      this.#history[this.#history.length - 1] = pooled;
      return pooled;
    }
    this.#history.push(point);
    if (this.#history.length > HISTORY) this.#history.shift();
    return point;
  }

  /**
   * The server said the window's calls waited in its queue (SampleWindow `servedShare`): it served `servedLoad`
   * calls at a time, on average. Cap the pool there, with Little's-law headroom; hold and probe as after any verdict.
   */
  serverQueued(servedLoad: number): void {
    const estimate = Math.max(servedLoad * SERVED_HEADROOM, this.#servedUnqueued);
    this.#ceiling = Math.max(this.#min, Math.min(this.#probe?.from ?? this.#ceiling, estimate));
    this.#probe = undefined;
    this.#held = 0;
  }

  /**
   * The server said a window's calls did not wait: it serves at least `load` calls at once (rounded up: the load
   * is a mean), and a later window that waited at a lower load (a brownout, a long prompt) does not take the
   * ceiling below that.
   */
  serverServed(load: number): void {
    this.#servedUnqueued = Math.max(this.#servedUnqueued, Math.ceil(load));
  }

  /** A call timed out while in-flight was `inFlight`: cap the pool at half of it. */
  timedOut(inFlight: number): void {
    this.#ceiling = Math.max(this.#min, Math.min(this.#probe?.from ?? this.#ceiling, inFlight / 2));
    this.#probe = undefined;
    this.#held = 0;
  }

  /**
   * Probes alternate: up (×PROBE_GROWTH, at least +1) finds capacity above the ceiling; down (÷PROBE_GROWTH)
   * measures below it, where a ceiling set too high (after timeouts, or with every remembered window already
   * queueing) shows the same throughput at less load.
   */
  #startProbe(): void {
    const from = this.#ceiling;
    const up = this.#nextProbeUp;
    this.#nextProbeUp = !up;
    this.#probe = { from, up, windows: 0 };
    this.#ceiling = up ? Math.max(from + 1, from * PROBE_GROWTH) : Math.max(this.#min, from / PROBE_GROWTH);
  }

  /** The remembered measurement of highest throughput at a load ≤ load / MIN_LOAD_RATIO. */
  #bestBelow(load: number): Point | undefined {
    let best: Point | undefined;
    for (const p of this.#history)
      if (p.load * MIN_LOAD_RATIO <= load && (!best || throughput(p) > throughput(best))) best = p;
    return best;
  }
}

/**
 * The load at which a's efficiency reaches b's throughput, a.load · max(1, x_b/x_a), with CEILING_HEADROOM: for a
 * FIFO queue behind c slots, a window below c runs at one call per slot-latency, so this is c; past a batching
 * server's knee it is the load of the best window, a itself.
 */
function saturationLoad(a: Point, b: Point, min: number): number {
  return Math.max(min, a.load * Math.max(1, throughput(b) / throughput(a)) * CEILING_HEADROOM);
}

/** Two measurements as one: sample-weighted means, and the standard error of the weighted mean. */
function pool(a: Point, b: Point): Point {
  const n = a.samples + b.samples;
  const weighted = (f: (p: Point) => number) => (f(a) * a.samples + f(b) * b.samples) / n;
  return {
    load: weighted((p) => p.load),
    latency: weighted((p) => p.latency),
    standardError: Math.sqrt((a.standardError * a.samples) ** 2 + (b.standardError * b.samples) ** 2) / n,
    samples: n,
  };
}

function throughput(p: Point): number {
  return p.load / p.latency;
}

/**
 * The efficiency g of going from a to b (see QUEUE_EFFICIENCY), at both ends of its band: `high` with a's
 * latency two standard errors high and b's two low, `low` the other way round.
 */
function efficiency(a: Point, b: Point): { low: number; high: number } {
  const at = (latencyA: number, latencyB: number) =>
    (b.load / Math.max(Number.MIN_VALUE, latencyB) / (a.load / latencyA) - 1) / (b.load / a.load - 1);
  return {
    high: at(a.latency + 2 * a.standardError, b.latency - 2 * b.standardError),
    low: at(Math.max(Number.MIN_VALUE, a.latency - 2 * a.standardError), b.latency + 2 * b.standardError),
  };
}
