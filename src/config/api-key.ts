/**
 * Resolves the API key: the environment variable named by `model.apiKeyEnv`, else the first line of
 * `model.apiKeyFile`. The key is handed to the model client and nowhere else; `redactSecret` scrubs it from any
 * text sluice writes (errors, dead letters, logs) in case a peer echoes it back.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../core/errors.ts';
import type { ModelConfig } from './pipeline-schema.ts';

/** Endpoints that need no key (the local simulator, Ollama, vLLM) still get a placeholder, as the SDK requires one. */
export const NO_KEY_PLACEHOLDER = 'sk-no-key-required';

export function resolveApiKey(model: ModelConfig, env: NodeJS.ProcessEnv): string {
  const fromEnv = env[model.apiKeyEnv];
  if (fromEnv?.trim()) return fromEnv.trim();
  if (model.apiKeyFile) {
    let text: string;
    try {
      text = readFileSync(model.apiKeyFile, 'utf8');
    } catch (error) {
      throw new ConfigError(
        'model.apiKeyFile',
        `cannot read ${model.apiKeyFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
    const key = text.split(/\r?\n/)[0]?.trim();
    if (!key) throw new ConfigError('model.apiKeyFile', `${model.apiKeyFile} is empty`);
    return key;
  }
  return NO_KEY_PLACEHOLDER;
}

/** Replaces every occurrence of `secret` in `text`. Keys shorter than 8 characters are not real keys and are left alone. */
export function redactSecret(text: string, secret: string | undefined): string {
  if (!secret || secret.length < 8 || secret === NO_KEY_PLACEHOLDER) return text;
  return text.split(secret).join('[REDACTED]');
}
