/**
 * One Batch API request line per model request the online job would make: a record alone, or a pack of records
 * (`pack: k`) — the same messages (llm/prompt, pack/map-pack), schema, max_tokens and body bytes (llm/chat-body, in
 * the configured client's dialect) as online, wrapped as `{"custom_id", "method":"POST", "url":"/v1/chat/completions",
 * "body": …}`. The body is spliced in as it was serialised, so it is byte-identical to the online body.
 *
 * custom_id: `<pipeline fingerprint>:<request number>:<first record id>` (`+N` more records when packed), unique
 * within the job; the request number finds the records again (records.ts), the fingerprint ties an answer to the
 * pipeline that asked, the id is for people reading the files.
 */
import type { PipelineConfig } from '../config/pipeline-schema.ts';
import type { OkEnvelope } from '../core/envelope.ts';
import { chatRequestBody } from '../llm/chat-body.ts';
import type { ChatMessage, JsonSchema } from '../llm/model-client.ts';
import { createPromptRenderer, estimateTokens } from '../llm/prompt.ts';
import { packedMessages, packMember } from '../pack/map-pack.ts';
import { packedSchema } from '../pack/packed-format.ts';

export const BATCH_ENDPOINT = '/v1/chat/completions';

/** Longest record id kept in a custom_id (the id is informative there; the request number is what counts). */
const ID_CHARS = 40;

export interface RequestLine {
  readonly customId: string;
  /** The JSONL line, without newline. */
  readonly line: string;
  /** Prompt tokens, chars/4 (what the provider enqueues). */
  readonly tokens: number;
}

export interface RequestRenderer {
  /** False when the record cannot be rendered (a missing field): it is dead-lettered, never sent. */
  canRender(record: Record<string, unknown>): boolean;
  /** The request of one record, or of a pack (≥ 2 records, all renderable). */
  render(seq: number, envelopes: readonly OkEnvelope<Record<string, unknown>>[]): RequestLine;
}

export function createRequestRenderer(pipeline: PipelineConfig, fingerprint: string): RequestRenderer {
  const renderer = createPromptRenderer(pipeline.prompt);
  const packed = packedSchema(pipeline.output.schema);
  const { schemaName } = pipeline.output;
  const request = (messages: ChatMessage[], schema: JsonSchema, maxTokens: number) =>
    chatRequestBody(pipeline.model, { messages, schema, schemaName, maxTokens });

  return {
    canRender: (record) => renderer.render(record).ok,
    render(seq, envelopes) {
      let messages: ChatMessage[];
      let body: string;
      if (envelopes.length === 1) {
        const rendered = renderer.render(envelopes[0]!.value);
        if (!rendered.ok) throw new TypeError(`record ${envelopes[0]!.id} cannot be rendered: check canRender first`);
        messages = rendered.messages;
        body = request(messages, pipeline.output.schema, pipeline.model.maxTokens);
      } else {
        const members = envelopes.map((envelope) => packMember(envelope, renderer) ?? unrenderable(envelope.id));
        messages = packedMessages(members);
        body = request(messages, packed, pipeline.model.maxTokens * envelopes.length);
      }
      const customId = formatCustomId(
        fingerprint,
        seq,
        envelopes.map((e) => e.id),
      );
      return {
        customId,
        line: `{"custom_id":${JSON.stringify(customId)},"method":"POST","url":"${BATCH_ENDPOINT}","body":${body}}`,
        tokens: estimateTokens(messages),
      };
    },
  };
}

export function formatCustomId(fingerprint: string, seq: number, ids: readonly string[]): string {
  const first = ids[0] ?? '';
  const shown = first.length > ID_CHARS ? `${first.slice(0, ID_CHARS)}…` : first;
  return `${fingerprint}:${seq}:${shown}${ids.length > 1 ? `+${ids.length - 1}` : ''}`;
}

/** The fingerprint and request number of a custom_id sluice made, or undefined for any other. */
export function parseCustomId(customId: string): { fingerprint: string; seq: number } | undefined {
  const match = /^([0-9a-f]{16}):(\d+):/.exec(customId);
  return match ? { fingerprint: match[1]!, seq: Number(match[2]) } : undefined;
}

function unrenderable(id: string): never {
  throw new TypeError(`record ${id} cannot be rendered: check canRender first`);
}
