import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import type { JsonSchema } from './model-client.ts';

/**
 * The pipeline's output JSON Schema, compiled once into a zod validator (zod 4 `z.fromJSONSchema`). The same
 * JSON Schema is sent to the provider as the structured-output format; the validator checks what comes back,
 * because providers (and JSON mode on local servers) do not always honour it.
 */

export type ValidationResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: string };

export interface CompiledOutputSchema {
  readonly jsonSchema: JsonSchema;
  validate(value: unknown): ValidationResult;
}

/** At most this many issues are listed in an error; the re-ask prompt and dead letters stay short. */
const MAX_ISSUES = 5;

/** Throws ConfigError (path `output.schema`) when zod cannot compile the schema. */
export function compileOutputSchema(jsonSchema: JsonSchema): CompiledOutputSchema {
  let validator: z.ZodType;
  try {
    validator = z.fromJSONSchema(jsonSchema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (error) {
    throw new ConfigError('output.schema', `not a usable JSON Schema: ${(error as Error).message}`);
  }
  return {
    jsonSchema,
    validate(value) {
      const result = validator.safeParse(value);
      if (result.success) return { ok: true, value: result.data };
      return { ok: false, error: formatIssues(result.error.issues) };
    },
  };
}

/** `sentiment: Invalid option: expected one of ...; features[0]: Invalid input: expected string, received number`. */
function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  const parts = issues.slice(0, MAX_ISSUES).map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
  if (issues.length > MAX_ISSUES) parts.push(`(${issues.length - MAX_ISSUES} more)`);
  return parts.join('; ');
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  return out;
}
