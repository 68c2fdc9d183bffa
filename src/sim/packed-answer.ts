/**
 * The simulator's answer to a packed request (format: pack/packed-format.ts): each item gets exactly the answer
 * its own `input` would get asked alone (`simulatedAnswer` with the per-item result schema), so packing never
 * changes content. Pack faults, each drawn once per packed answer with its profile rate (and counted in
 * `stats.faults`):
 *   - pack_drop:      one item (chosen at random) is left out;
 *   - pack_swap:      two items exchange positions (each keeps its own id and result: a positional split would
 *                     misattribute them, a split by id does not);
 *   - pack_duplicate: one item appears twice.
 * Random draws are made only when a rate is > 0, so profiles without pack faults keep their random sequence.
 */
import { parsePackedUserMessage, resultSchemaOfPacked } from '../pack/packed-format.ts';
import type { ChatRequest } from './chat-request.ts';
import type { ProfileParams } from './profiles.ts';
import type { Rng } from './rng.ts';
import { simulatedAnswer } from './simulated-answer.ts';

export type PackFaultRates = Pick<ProfileParams, 'faultPackDropRate' | 'faultPackSwapRate' | 'faultPackDuplicateRate'>;

/** `{ items: [{ id, result }] }` for a packed request, or undefined when `req` is not one. */
export function packedAnswer(
  req: Pick<ChatRequest, 'lastUserMessage' | 'schema'>,
  rates: PackFaultRates,
  rng: Rng,
  faults: Record<string, number>,
): unknown {
  const resultSchema = resultSchemaOfPacked(req.schema as Record<string, unknown> | undefined) as ChatRequest['schema'];
  if (!resultSchema) return undefined;
  const items = parsePackedUserMessage(req.lastUserMessage);
  if (!items) return undefined;
  const answers = items.map((item) => ({
    id: item.id,
    result: simulatedAnswer({ lastUserMessage: item.input, schema: resultSchema }),
  }));
  const pick = (): number => Math.floor(rng() * answers.length);
  if (answers.length > 0 && rates.faultPackDropRate > 0 && rng() < rates.faultPackDropRate) {
    answers.splice(pick(), 1);
    faults.pack_drop = (faults.pack_drop ?? 0) + 1;
  }
  if (answers.length > 1 && rates.faultPackSwapRate > 0 && rng() < rates.faultPackSwapRate) {
    const a = pick();
    const b = (a + 1 + Math.floor(rng() * (answers.length - 1))) % answers.length;
    [answers[a], answers[b]] = [answers[b]!, answers[a]!];
    faults.pack_swap = (faults.pack_swap ?? 0) + 1;
  }
  if (answers.length > 0 && rates.faultPackDuplicateRate > 0 && rng() < rates.faultPackDuplicateRate) {
    const copy = answers[pick()]!;
    answers.splice(pick(), 0, { ...copy });
    faults.pack_duplicate = (faults.pack_duplicate ?? 0) + 1;
  }
  return { items: answers };
}
