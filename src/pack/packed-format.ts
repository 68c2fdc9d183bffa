/**
 * The packed-request wire format, shared by sluice (which builds and splits packed calls) and the simulator (which
 * answers them). One definition, so both sides agree by construction.
 *
 * Request: the pipeline's system message (unchanged; packing requires it to reference no record field), then ONE
 * user message:
 *
 *     <PACK_INSTRUCTIONS>
 *     ITEMS (JSON):
 *     [{"id":"r-1","input":"Review: …"},{"id":"r-2","input":"Review: …"}]
 *
 * Each item's `input` is exactly the user message the record would have been sent alone (pack 1), so a model —
 * and the simulator, which recovers it by parsing the JSON after the LAST `\nITEMS (JSON):\n` marker — answers each
 * item as if it had been asked alone. The JSON is one line (JSON.stringify escapes newlines), so no item text can
 * fake the marker.
 *
 * Answer schema: `{ items: [{ id: string, result: <the pipeline's schema> }] }`, keyed by record id. Strictness
 * follows the pipeline's schema: when it says `additionalProperties: false`, so do the wrappers (OpenAI strict mode
 * needs every level to agree).
 */
import type { JsonSchema } from '../llm/model-client.ts';

export const ITEMS_MARKER = '\nITEMS (JSON):\n';

export const PACK_INSTRUCTIONS =
  'Several independent items follow. Answer each item on its own, exactly as if it were the only request, ' +
  'following the instructions above. Reply with a JSON object {"items": [{"id": <the item\'s id>, "result": <the answer ' +
  'for that item>}]} holding one entry per item, each id exactly once, copied verbatim.';

export interface PackedItem {
  readonly id: string;
  /** The record's own rendered user message. */
  readonly input: string;
}

export function packedUserMessage(items: readonly PackedItem[]): string {
  return `${PACK_INSTRUCTIONS}${ITEMS_MARKER}${JSON.stringify(items.map((item) => ({ id: item.id, input: item.input })))}`;
}

/** The items of a packed user message, or undefined when it is not one. */
export function parsePackedUserMessage(text: string): PackedItem[] | undefined {
  const at = text.lastIndexOf(ITEMS_MARKER);
  if (at < 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(at + ITEMS_MARKER.length));
  } catch (error) {
    void error; // not a packed message after all (a review quoting the marker): answered as a plain one
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const items: PackedItem[] = [];
  for (const entry of parsed) {
    if (typeof entry !== 'object' || entry === null) return undefined;
    const { id, input } = entry as { id?: unknown; input?: unknown };
    if (typeof id !== 'string' || typeof input !== 'string') return undefined;
    items.push({ id, input });
  }
  return items;
}

/** `{ items: [{ id, result: schema }] }`, as strict as `schema` is. */
export function packedSchema(schema: JsonSchema): JsonSchema {
  const strict = schema.additionalProperties === false ? { additionalProperties: false } : {};
  return {
    type: 'object',
    properties: {
      items: {
        type: 'array',
        items: {
          type: 'object',
          properties: { id: { type: 'string' }, result: schema },
          required: ['id', 'result'],
          ...strict,
        },
      },
    },
    required: ['items'],
    ...strict,
  };
}

/** The per-item schema inside a packed answer schema, or undefined when `schema` is not a packed one. */
export function resultSchemaOfPacked(schema: JsonSchema | undefined): JsonSchema | undefined {
  const items = (schema?.properties as Record<string, any> | undefined)?.items;
  if (items?.type !== 'array') return undefined;
  const props = items.items?.properties as Record<string, unknown> | undefined;
  if (!props || !('id' in props) || !('result' in props)) return undefined;
  const result = props.result;
  return typeof result === 'object' && result !== null ? (result as JsonSchema) : undefined;
}
