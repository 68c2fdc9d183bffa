/**
 * The pipeline fingerprint: what makes a result reusable. Output records and dead letters carry it; `--resume`
 * only skips records whose stored fingerprint matches, so changing the model, the prompt or the schema re-runs
 * them. Limits, retries and prices are not part of it: they change how, not what.
 */
import { createHash } from 'node:crypto';
import type { PipelineConfig } from './pipeline-schema.ts';

export function pipelineFingerprint(config: PipelineConfig): string {
  const meaning = {
    model: config.model.name,
    temperature: config.model.temperature,
    structuredOutput: config.model.structuredOutput,
    system: config.prompt.system,
    user: config.prompt.user,
    schemaName: config.output.schemaName,
    schema: config.output.schema,
  };
  return createHash('sha256').update(stableJson(meaning)).digest('hex').slice(0, 16);
}

/** JSON with object keys sorted, so YAML key order does not change the fingerprint. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
