/**
 * Command-line options override the pipeline file. The merged configuration is validated again with the
 * same schema, so a bad override gets the same path-named error as a bad file (`model.baseUrl: Invalid URL`).
 */
import { ConfigError } from '../core/errors.ts';
import { formatIssues } from './load-pipeline.ts';
import { PipelineSchema, type PipelineConfig } from './pipeline-schema.ts';

export interface RunOverrides {
  format?: 'jsonl' | 'json-array';
  concurrency?: number | 'auto';
  maxConcurrency?: number;
  unordered?: boolean;
  model?: string;
  baseUrl?: string;
  timeout?: number;
  maxAttempts?: number;
  /** Records per request (prompt packing). */
  pack?: number;
  /** Batch API (docs/batch.md): the mode, what happens to unfinished requests, the auto deadline, the poll period. */
  mode?: 'online' | 'batch' | 'auto';
  fallback?: 'batch' | 'online';
  deadline?: string;
  pollInterval?: number;
}

export function applyRunOverrides(config: PipelineConfig, overrides: RunOverrides): PipelineConfig {
  const merged = {
    ...config,
    model: {
      ...config.model,
      ...(overrides.model !== undefined && { name: overrides.model }),
      ...(overrides.baseUrl !== undefined && { baseUrl: overrides.baseUrl }),
      ...(overrides.timeout !== undefined && { timeoutMs: overrides.timeout }),
    },
    input: { ...config.input, ...(overrides.format !== undefined && { format: overrides.format }) },
    ...(overrides.concurrency !== undefined && { concurrency: overrides.concurrency }),
    ...(overrides.maxConcurrency !== undefined && { maxConcurrency: overrides.maxConcurrency }),
    ...(overrides.unordered && { ordered: false }),
    ...(overrides.pack !== undefined && { pack: overrides.pack }),
    retries: { ...config.retries, ...(overrides.maxAttempts !== undefined && { maxAttempts: overrides.maxAttempts }) },
    ...(overrides.mode !== undefined && { mode: overrides.mode }),
    batch: {
      ...config.batch,
      ...(overrides.fallback !== undefined && { fallback: overrides.fallback }),
      ...(overrides.deadline !== undefined && { deadline: overrides.deadline }),
      ...(overrides.pollInterval !== undefined && { pollSeconds: overrides.pollInterval }),
    },
  };
  const parsed = PipelineSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError('', `invalid option:\n${formatIssues(parsed.error.issues)}`);
  return parsed.data;
}
