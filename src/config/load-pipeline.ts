/**
 * Loads a pipeline file: YAML → `${ENV}` interpolation → schema validation → cross-field checks.
 * Every problem is reported with the path it concerns (`model.timeoutMs: Too small ...`), all at once.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { interpolateEnv } from './interpolate-env.ts';
import { PipelineSchema, type PipelineConfig } from './pipeline-schema.ts';

/** Fields every output record has; kept input fields may not shadow them. */
export const RESERVED_OUTPUT_FIELDS = [
  'id',
  'result',
  'usage',
  'model',
  'attempts',
  'latencyMs',
  'fingerprint',
] as const;

export interface LoadedPipeline {
  readonly path: string;
  readonly config: PipelineConfig;
}

/** A pipeline file is a page of YAML; anything this large is almost certainly the data given in its place. */
const MAX_PIPELINE_BYTES = 1 << 20;
/** YAML syntax errors shown; the rest are counted. A data file given as the pipeline once printed 93 MB of them. */
const MAX_YAML_ERRORS = 3;

export async function loadPipelineFile(path: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedPipeline> {
  let text: string;
  try {
    const { size } = await stat(path);
    if (size > MAX_PIPELINE_BYTES) {
      const head = await readHead(path);
      throw new ConfigError(
        '',
        `${path} is ${(size / 1e6).toFixed(1)} MB: a pipeline file is a short YAML file${looksLikeData(head) ? `; ${dataFileHint(path)}` : ''}`,
      );
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      '',
      `cannot read pipeline file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  return { path, config: parsePipeline(text, env, path) };
}

/** Parses and validates pipeline YAML text; throws one ConfigError listing the problems found. */
export function parsePipeline(text: string, env: NodeJS.ProcessEnv = process.env, source = 'pipeline'): PipelineConfig {
  const document = parseDocument(text, { prettyErrors: true });
  // JSON is YAML: a pipeline may be written in JSON, and a one-line JSON record parses, then fails the schema.
  // Only a file that fails either way and starts like JSON data is called a data file.
  const dataHint = () => (looksLikeData(text) ? new ConfigError('', dataFileHint(source)) : undefined);
  if (document.errors.length > 0) {
    const hint = dataHint();
    if (hint) throw hint;
    const shown = document.errors.slice(0, MAX_YAML_ERRORS).map((e) => `  ${e.message.trimEnd()}`);
    const more = document.errors.length - shown.length;
    throw new ConfigError(
      '',
      `${source} is not valid YAML:\n${shown.join('\n')}${more > 0 ? `\n  … and ${more} more` : ''}`,
    );
  }
  const raw = interpolateEnv(document.toJS(), env);
  const parsed = PipelineSchema.safeParse(raw);
  if (!parsed.success)
    throw dataHint() ?? new ConfigError('', `${source} is invalid:\n${formatIssues(parsed.error.issues)}`);
  const problems = crossFieldProblems(parsed.data);
  if (problems.length > 0)
    throw new ConfigError('', `${source} is invalid:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return parsed.data;
}

/** `model.timeoutMs: Too small: expected number to be >=1`, one per line. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => `  ${formatPath(issue.path) || '(root)'}: ${issue.message}`).join('\n');
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`))
    .join('');
}

/**
 * True when the text starts like JSON data (its first non-blank line is a JSON object or array), which a pipeline
 * never does: pipelines are block YAML. JSON Lines, a JSON array file, or a single JSON record.
 */
function looksLikeData(text: string): boolean {
  const first =
    text
      .split('\n', 20)
      .find((line) => line.trim() !== '')
      ?.trim() ?? '';
  if (!first.startsWith('{') && !first.startsWith('[')) return false;
  if (first === '[' || first === '{') return true;
  try {
    JSON.parse(first.endsWith(',') ? first.slice(0, -1) : first);
    return true;
  } catch {
    return first.startsWith('[{'); // a JSON array of records whose first element spans lines
  }
}

function dataFileHint(path: string): string {
  return `${path} looks like a data file (JSON), not a pipeline: the pipeline file comes first — sluice run PIPELINE.yaml -i ${path}`;
}

async function readHead(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

function crossFieldProblems(config: PipelineConfig): string[] {
  const problems: string[] = [];
  config.input.keep.forEach((field, i) => {
    if ((RESERVED_OUTPUT_FIELDS as readonly string[]).includes(field)) {
      problems.push(
        `input.keep[${i}]: "${field}" is a field of every output record; it cannot be kept from the input (the input id is kept as "id" already)`,
      );
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
