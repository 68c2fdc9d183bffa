/**
 * HOOK for the lead: ordered vs unordered llm-map, measured in the same run as the other stages.
 *
 * TODO(llm-map owner): replace the placeholder cases below with real ones — e.g. llm-map over `records` parsed
 * envelopes with a ModelClient stub that answers after a deterministic per-record delay (a few records slow), once
 * `ordered: true` (chosen) and once `ordered: false`, same window. Each case's `run` must resolve to the number of
 * records produced. Until then the table shows the rows as "not measured".
 */
import type { Envelope } from '../../src/core/envelope.ts';
import type { BenchCase, BenchRow } from './measure.ts';

export interface LlmMapBenchInput {
  /** Parsed review envelopes, ready for llm-map. */
  readonly envelopes: readonly Envelope<Record<string, unknown>>[];
  readonly bytes: number;
}

/** Real cases to measure (none yet). */
export function llmMapCases(input: LlmMapBenchInput): BenchCase[] {
  void input;
  return [];
}

/** Placeholder rows shown while `llmMapCases` returns nothing. */
export function llmMapPlaceholderRows(): BenchRow[] {
  const placeholder = (name: string, chosen: boolean): BenchRow => ({
    group: 'llm-map',
    name,
    chosen,
    records: 0,
    bytes: 0,
    runs: 0,
    medianMs: 0,
    recordsPerSecond: 0,
    megabytesPerSecond: 0,
    missing: 'not measured yet — hook in bench/stages/llm-map-rows.ts (TODO: llm-map owner)',
  });
  return [placeholder('llm-map ordered', true), placeholder('llm-map unordered', false)];
}
