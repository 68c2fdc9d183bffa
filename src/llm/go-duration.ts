/**
 * Parses a Go `time.Duration` string, as OpenAI's `x-ratelimit-reset-*` headers carry it (`12ms`, `1s`,
 * `6m0s`, `1h2m3.5s`, `0s`), into milliseconds. Grammar from Go's time.ParseDuration: an optional sign, then
 * one or more decimal numbers each with a unit (ns, us, µs, μs, ms, s, m, h); a bare `0` is zero.
 * Returns undefined for anything else (a header we cannot read imposes nothing).
 */
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART_SOURCE = String.raw`(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)`;

export function parseGoDuration(text: string): number | undefined {
  let s = text.trim();
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  let total = 0;
  const part = new RegExp(PART_SOURCE, 'y');
  while (part.lastIndex < s.length) {
    const match = part.exec(s);
    if (!match) return undefined;
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(total) ? sign * total : undefined;
}
