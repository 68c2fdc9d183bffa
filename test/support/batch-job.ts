/**
 * Helpers of the `--mode batch` CLI tests: a review-insights pipeline with batch settings, JSON Lines files read
 * back (a torn last line apart), the exactly-once check, and the simulator's Batch API objects.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.ts';

/** pipelines/review-insights.yaml plus `extra` YAML (e.g. a `batch:` section), written into `dir`. */
export function reviewPipelineWith(dir: string, name: string, extra: string): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, `${readFileSync(join(ROOT, 'pipelines/review-insights.yaml'), 'utf8')}\n${extra}\n`);
  return path;
}

/** Parses a JSONL output file; a torn last line (possible after SIGKILL) is returned apart. */
export function readJsonl(path: string): { records: Array<Record<string, any>>; torn: boolean } {
  if (!existsSync(path)) return { records: [], torn: false };
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const last = lines.pop()!;
  return { records: lines.filter(Boolean).map((l) => JSON.parse(l)), torn: last !== '' };
}

/** Every input id exactly once among `records`, each with `expected(input)` as its result. */
export function assertExactlyOnce(
  records: Array<Record<string, any>>,
  inputs: Array<Record<string, unknown>>,
  expected: (record: Record<string, unknown>) => unknown,
): void {
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
  assert.deepEqual(
    [...counts].filter(([, n]) => n > 1).map(([id]) => id),
    [],
    'no id twice',
  );
  assert.deepEqual(
    inputs.filter((r) => !counts.has(r.id as string)).map((r) => r.id),
    [],
    'no id missing',
  );
  const byId = new Map(records.map((r) => [r.id, r]));
  for (const input of inputs)
    assert.deepEqual(byId.get(input.id)!.result, expected(input), `own answer for ${String(input.id)}`);
}

export interface SimBatch {
  id: string;
  status: string;
  input_file_id: string;
  request_counts: { total: number; completed: number; failed: number };
}

/** Every batch the simulator holds, newest first. */
export async function simBatches(simUrl: string): Promise<SimBatch[]> {
  const all: SimBatch[] = [];
  let after = '';
  for (;;) {
    const page = (await (await fetch(`${simUrl}/batches?limit=100${after ? `&after=${after}` : ''}`)).json()) as {
      data: SimBatch[];
      has_more: boolean;
      last_id: string;
    };
    all.push(...page.data);
    if (!page.has_more) return all;
    after = page.last_id;
  }
}
