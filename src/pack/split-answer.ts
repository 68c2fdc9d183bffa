/**
 * Splits a packed answer back onto its records, by id — never by position, so a reordered (swapped) answer still
 * lands on the right records. An item is accepted only when its id was asked, appears exactly once, and its
 * result validates against the pipeline's schema. Everything else is reported so the caller retries that record
 * alone (pack 1): missing, duplicated (every copy is dropped: we cannot tell which copy is right) and invalid
 * items; entries with unknown ids are counted and ignored (they belong to no record).
 */
import type { CompiledOutputSchema } from '../llm/output-schema.ts';

export type ItemProblem = 'missing' | 'duplicated' | 'invalid';

export interface SplitAnswer {
  /** Validated results of the accepted ids. */
  readonly accepted: Map<string, unknown>;
  /** Ids asked but not accepted, with why (retry each alone). */
  readonly rejected: Map<string, { problem: ItemProblem; error?: string }>;
  /** Entries whose id was not asked. */
  readonly unknownIds: number;
}

/** `answer` is the parsed JSON of the packed reply; undefined or the wrong shape rejects every id as missing. */
export function splitPackedAnswer(
  answer: unknown,
  askedIds: readonly string[],
  schema: CompiledOutputSchema,
): SplitAnswer {
  const asked = new Set(askedIds);
  const entries = itemsOf(answer);
  const byId = new Map<string, unknown[]>();
  let unknownIds = 0;
  for (const entry of entries) {
    const id = typeof entry === 'object' && entry !== null ? (entry as { id?: unknown }).id : undefined;
    if (typeof id !== 'string' || !asked.has(id)) {
      unknownIds++;
      continue;
    }
    const list = byId.get(id) ?? [];
    list.push((entry as { result?: unknown }).result);
    byId.set(id, list);
  }
  const accepted = new Map<string, unknown>();
  const rejected = new Map<string, { problem: ItemProblem; error?: string }>();
  for (const id of askedIds) {
    const results = byId.get(id);
    if (!results) {
      rejected.set(id, { problem: 'missing' });
      continue;
    }
    if (results.length > 1) {
      rejected.set(id, { problem: 'duplicated' });
      continue;
    }
    const check = schema.validate(results[0]);
    if (check.ok) accepted.set(id, check.value);
    else rejected.set(id, { problem: 'invalid', error: check.error });
  }
  return { accepted, rejected, unknownIds };
}

function itemsOf(answer: unknown): unknown[] {
  if (typeof answer !== 'object' || answer === null) return [];
  const items = (answer as { items?: unknown }).items;
  return Array.isArray(items) ? items : [];
}
