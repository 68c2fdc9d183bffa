/**
 * Shares one packed call's token usage out over its records by prompt size (each record's rendered user message
 * length), so per-record usage sums exactly to the call's usage and cost totals stay right.
 *
 * Integer shares by the largest-remainder method (Hamilton apportionment): floor every exact share, then give the
 * leftover tokens one each to the largest fractional parts (ties to the earlier record).
 */
import type { TokenUsage } from '../llm/model-client.ts';

export function apportion(total: number, weights: readonly number[]): number[] {
  const n = weights.length;
  if (n === 0) return [];
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = sum > 0 ? weights.map((w) => (total * w) / sum) : weights.map(() => total / n);
  const shares = exact.map(Math.floor);
  let left = total - shares.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, frac: x - Math.floor(x) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % n, left--) shares[order[k]!.i]! += 1;
  return shares;
}

/** Each record's share of `usage`, weighted by `promptChars`. */
export function shareUsage(usage: TokenUsage, promptChars: readonly number[]): TokenUsage[] {
  const input = apportion(usage.inputTokens, promptChars);
  const output = apportion(usage.outputTokens, promptChars);
  return input.map((inputTokens, i) => ({ inputTokens, outputTokens: output[i]! }));
}
