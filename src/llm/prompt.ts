import type { PromptConfig } from '../config/pipeline-schema.ts';
import { ConfigError } from '../core/errors.ts';
import type { ChatMessage } from './model-client.ts';

/**
 * Renders the pipeline's prompt templates over one record.
 *
 * Templates use LangChain's f-string syntax (`{text}` is a field, `{{` and `}}` are literal braces), parsed here
 * by `parseFString` exactly as @langchain/core 1.4's `parseFString` (prompts/template.js) does, errors included —
 * without loading LangChain, which a job on the undici client and `sluice validate` do not need. They are parsed
 * once, when the renderer is built, so that rendering a record is a plain synchronous string join — no per-record
 * template parsing, no async hop (the renderer sits on the hot path of every record).
 *
 * A record missing a referenced field, or holding null/undefined/'' there, is reported as `missing` so the stage
 * can dead-letter it (`missing_field`). Non-string values are JSON-stringified.
 */

export type RenderResult =
  | { readonly ok: true; readonly messages: ChatMessage[]; readonly promptTokenEstimate: number }
  | { readonly ok: false; readonly missing: string[] };

export interface PromptRenderer {
  /** Every field any template references, in first-use order. */
  readonly inputVariables: readonly string[];
  render(record: Record<string, unknown>): RenderResult;
}

type ParsedTemplateNode =
  | { readonly type: 'literal'; readonly text: string }
  | { readonly type: 'variable'; readonly name: string };

interface CompiledMessage {
  readonly role: 'system' | 'user';
  readonly nodes: readonly ParsedTemplateNode[];
}

/** Builds a renderer; throws ConfigError (naming `prompt.system`/`prompt.user`) for a malformed template. */
export function createPromptRenderer(prompt: PromptConfig): PromptRenderer {
  const compiled: CompiledMessage[] = [];
  if (prompt.system !== '') compiled.push({ role: 'system', nodes: parseTemplate('prompt.system', prompt.system) });
  compiled.push({ role: 'user', nodes: parseTemplate('prompt.user', prompt.user) });

  // In order of first use, system prompt first (as ChatPromptTemplate.fromMessages lists them).
  const inputVariables = [
    ...new Set(compiled.flatMap((m) => m.nodes.flatMap((node) => (node.type === 'variable' ? [node.name] : [])))),
  ];

  return {
    inputVariables,
    render(record) {
      let missing: string[] | undefined;
      for (const name of inputVariables) {
        const value = record[name];
        if (value === undefined || value === null || value === '') (missing ??= []).push(name);
      }
      if (missing) return { ok: false, missing };
      let chars = 0;
      const messages: ChatMessage[] = compiled.map((m) => {
        let content = '';
        for (const node of m.nodes) content += node.type === 'literal' ? node.text : stringify(record[node.name]);
        chars += content.length;
        return { role: m.role, content };
      });
      return { ok: true, messages, promptTokenEstimate: Math.ceil(chars / 4) };
    },
  };
}

/** Characters-based token estimate (chars/4), the way OpenAI-style providers charge at admission. */
export function estimateTokens(messages: readonly ChatMessage[]): number {
  let chars = 0;
  for (const m of messages) chars += m.content.length;
  return Math.ceil(chars / 4);
}

function parseTemplate(path: string, text: string): ParsedTemplateNode[] {
  let nodes: ParsedTemplateNode[];
  try {
    nodes = parseFString(text);
  } catch (error) {
    throw new ConfigError(path, `invalid template: ${(error as Error).message} (use {{ and }} for literal braces)`);
  }
  for (const node of nodes) {
    if (node.type === 'variable' && !/^[^\s{}]+$/.test(node.name)) {
      throw new ConfigError(path, `invalid placeholder {${node.name}}: a placeholder names one record field`);
    }
  }
  return nodes;
}

/**
 * LangChain's f-string parser (@langchain/core 1.4, prompts/template.js `parseFString`), same nodes and errors:
 * `{{` / `}}` are literal braces, `{name}` a variable (anything up to the next `}`), an unclosed `{` or a single
 * `}` an error.
 */
function parseFString(template: string): ParsedTemplateNode[] {
  const nodes: ParsedTemplateNode[] = [];
  let i = 0;
  while (i < template.length) {
    const char = template[i];
    const next = template[i + 1];
    if (char === '{' && next === '{') {
      nodes.push({ type: 'literal', text: '{' });
      i += 2;
    } else if (char === '}' && next === '}') {
      nodes.push({ type: 'literal', text: '}' });
      i += 2;
    } else if (char === '{') {
      const close = template.indexOf('}', i);
      if (close < 0) throw new Error("Unclosed '{' in template.");
      nodes.push({ type: 'variable', name: template.slice(i + 1, close) });
      i = close + 1;
    } else if (char === '}') {
      throw new Error("Single '}' in template.");
    } else {
      const brace = template.slice(i).search(/[{}]/);
      const end = brace < 0 ? template.length : i + brace;
      nodes.push({ type: 'literal', text: template.slice(i, end) });
      i = end;
    }
  }
  return nodes;
}

function stringify(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
