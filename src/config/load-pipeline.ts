/**
 * Loads a pipeline file: YAML → `${ENV}` interpolation → schema validation → cross-field checks.
 * Every problem is reported with the path it concerns (`model.timeoutMs: Too small ...`), all at once.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { interpolateEnv } from './interpolate-env.ts';
import { PipelineSchema, type PipelineConfig } from './pipeline-schema.ts';

/** Fields every output record has; kept input fields may not shadow them. */
export const RESERVED_OUTPUT_FIELDS = ['id', 'result', 'usage', 'model', 'attempts', 'latencyMs', 'fingerprint'] as const;

export interface LoadedPipeline {
  readonly path: string;
  readonly config: PipelineConfig;
}

export async function loadPipelineFile(path: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedPipeline> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError('', `cannot read pipeline file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return { path, config: parsePipeline(text, env, path) };
}

/** Parses and validates pipeline YAML text; throws one ConfigError listing every problem found. */
export function parsePipeline(text: string, env: NodeJS.ProcessEnv = process.env, source = 'pipeline'): PipelineConfig {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigError('', `${source} is not valid YAML:\n${document.errors.map((e) => `  ${e.message}`).join('\n')}`);
  }
  const raw = interpolateEnv(document.toJS(), env);
  const parsed = PipelineSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError('', `${source} is invalid:\n${formatIssues(parsed.error.issues)}`);
  const problems = crossFieldProblems(parsed.data);
  if (problems.length > 0) throw new ConfigError('', `${source} is invalid:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return parsed.data;
}

/** `model.timeoutMs: Too small: expected number to be >=1`, one per line. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `  ${formatPath(issue.path) || '(root)'}: ${issue.message}`).join('\n');
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join('');
}

function crossFieldProblems(config: PipelineConfig): string[] {
  const problems: string[] = [];
  config.input.keep.forEach((field, i) => {
    if ((RESERVED_OUTPUT_FIELDS as readonly string[]).includes(field)) {
      problems.push(`input.keep[${i}]: "${field}" is a field of every output record; it cannot be kept from the input (the input id is kept as "id" already)`);
    }
  });
  try {
    z.fromJSONSchema(config.output.schema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (error) {
    problems.push(`output.schema: not a usable JSON Schema: ${(error as Error).message}`);
  }
  if (typeof config.concurrency === 'number' && config.concurrency > config.maxConcurrency) {
    problems.push(`concurrency: ${config.concurrency} is above maxConcurrency (${config.maxConcurrency})`);
  }
  return problems;
}
