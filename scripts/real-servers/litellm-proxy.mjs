// The LiteLLM proxy (PyPI `litellm[proxy]`) in front of an OpenAI-compatible upstream, for tests and benchmarks: a
// gateway nobody here wrote. Installed by scripts/litellm/install.sh into a virtualenv cached outside the clone.
//
//   node scripts/real-servers/litellm-proxy.mjs UPSTREAM_BASE_URL [MODEL]   # prints LITELLM_BASE_URL=…, Ctrl-C stops
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerProcess } from './process.mjs';

const READY_TIMEOUT_MS = 180_000;
/** The key clients present to the proxy (its master key); not a secret: the proxy only lives for one test. */
export const LITELLM_MASTER_KEY = 'sk-litellm-test-master';

/** The installed `litellm` executable, or undefined when scripts/litellm/install.sh has not completed here. */
export function litellmInstallation() {
  const cacheRoot =
    process.env.SLUICE_LITELLM_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '', '.cache'), 'sluice');
  const result = spawnSync('bash', ['-c', 'ls -d "$0"/litellm-*/.complete 2>/dev/null | sort | tail -1', cacheRoot], {
    encoding: 'utf8',
  });
  const marker = result.stdout.trim();
  if (!marker) return undefined;
  const bin = join(marker, '..', 'venv', 'bin', 'litellm');
  return existsSync(bin) ? bin : undefined;
}

/**
 * Starts the proxy on a free loopback port with one model, `model`, routed to `upstream` (an OpenAI-compatible
 * `…/v1`); resolves once its liveness endpoint answers. Clients use `baseUrl` and LITELLM_MASTER_KEY. One worker,
 * as `litellm --config` starts by default. stop() ends it by its pid and removes its config directory.
 */
export async function startLiteLLM({ upstream, model = 'gpt-4o-mini', log = () => {} }) {
  const bin = litellmInstallation();
  if (!bin) throw new Error('the LiteLLM proxy is not installed: run `bash scripts/litellm/install.sh` (once)');
  const config = [
    'model_list:',
    `  - model_name: ${model}`,
    '    litellm_params:',
    `      model: openai/${model}`,
    `      api_base: ${upstream}`,
    '      api_key: sk-upstream-not-checked',
    'general_settings:',
    `  master_key: ${LITELLM_MASTER_KEY}`,
    '',
  ].join('\n');
  const { pid, port, stop } = await startServerProcess({
    name: 'litellm',
    command: bin,
    args: (port) => ['--host', '127.0.0.1', '--port', String(port)],
    files: (dir) => {
      writeFileSync(join(dir, 'config.yaml'), config);
      return ['--config', join(dir, 'config.yaml')];
    },
    env: { ...process.env, LITELLM_LOG: 'ERROR', NO_COLOR: '1', DISABLE_SCHEMA_UPDATE: 'true' },
    readyUrl: (port) => `http://127.0.0.1:${port}/health/liveliness`,
    ready: (response) => response.ok,
    timeoutMs: READY_TIMEOUT_MS,
  });
  const baseUrl = `http://127.0.0.1:${port}/v1`;
  log(`litellm: ${baseUrl} → ${upstream} (pid ${pid})`);
  return { baseUrl, apiKey: LITELLM_MASTER_KEY, model, pid, stop };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const proxy = await startLiteLLM({
    upstream: process.argv[2],
    model: process.argv[3],
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`LITELLM_BASE_URL=${proxy.baseUrl} OPENAI_API_KEY=${proxy.apiKey}\n`);
  const shutdown = () => proxy.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
