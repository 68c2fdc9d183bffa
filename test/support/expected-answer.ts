/**
 * What the simulator must have answered for a record: its deterministic content function applied to the
 * record's own rendered prompt. Tests use it to prove every output belongs to its own input.
 */
import type { PipelineConfig } from '../../src/config/pipeline-schema.ts';
import { createPromptRenderer } from '../../src/llm/prompt.ts';
import { simulatedAnswer } from '../../src/sim/index.ts';

export function expectedAnswerFor(config: PipelineConfig): (record: Record<string, unknown>) => unknown {
  const renderer = createPromptRenderer(config.prompt);
  return (record) => {
    const rendered = renderer.render(record);
    if (!rendered.ok) throw new Error(`record misses fields ${rendered.missing.join(', ')}`);
    const lastUser = rendered.messages.filter((m) => m.role === 'user').at(-1)!;
    return simulatedAnswer({ lastUserMessage: lastUser.content, schema: config.output.schema });
  };
}
