/**
 * `${NAME}` and `${NAME:-default}` in pipeline-file strings are replaced from the environment, so one file
 * serves every endpoint. `$${` is a literal `${`. A reference to an unset variable without a default is an
 * error naming where it was used — silently sending an empty base URL or key would be worse.
 */
import { ConfigError } from '../core/errors.ts';

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, path = ''): unknown {
  if (typeof value === 'string') return interpolateString(value, env, path);
  if (Array.isArray(value)) return value.map((item, i) => interpolateEnv(item, env, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      out[key] = interpolateEnv(item, env, path ? `${path}.${key}` : key);
    return out;
  }
  return value;
}

function interpolateString(text: string, env: NodeJS.ProcessEnv, path: string): string | undefined {
  let unset: string | undefined;
  const result = text.replace(REFERENCE, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    const found = env[name!];
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    unset ??= name;
    return '';
  });
  if (unset === undefined) return result;
  // A whole-value reference to an unset variable means "not configured": the field falls back to its default.
  if (text.trim() === `\${${unset}}`) return undefined;
  throw new ConfigError(path, `environment variable ${unset} is not set (use \${${unset}:-default} for a fallback)`);
}
