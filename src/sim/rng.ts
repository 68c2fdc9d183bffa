/**
 * Seeded pseudo-random numbers for the simulator: every random choice (latency, errors, faults) draws from one of
 * these, so a seeded simulator and the unit tests are reproducible. No module-level state.
 */

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/** mulberry32 (Tommy Ettinger, public domain): a small, fast 32-bit generator, good enough for simulation. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal by Box–Muller (one of the pair; simplicity over speed). */
export function normal(rng: Rng, mean = 0, sd = 1): number {
  let u = rng();
  while (u <= Number.EPSILON) u = rng();
  const v = rng();
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Lognormal given its median and the σ of the underlying normal: median · e^(σ·Z). Mean = median · e^(σ²/2). */
export function lognormal(rng: Rng, median: number, sigma: number): number {
  return median * Math.exp(sigma * normal(rng));
}

/** Pareto(x_m, α) by inversion: x_m / U^(1/α). Mean = α·x_m/(α − 1) for α > 1. */
export function pareto(rng: Rng, xm: number, alpha: number): number {
  let u = rng();
  while (u <= Number.EPSILON) u = rng();
  return xm / u ** (1 / alpha);
}

/** Uniform in [lo, hi). */
export function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng();
}

/** FNV-1a 32-bit hash of a string: the deterministic seed of simulated content. */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
