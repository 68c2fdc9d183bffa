// llama.cpp's `llama-server` with a small real model, for tests and benchmarks: a server nobody here wrote.
// The binary and model come from scripts/llama/fetch-and-build.sh (cached outside the clone; `.ci/run` builds them).
//
//   node scripts/real-servers/llama-server.mjs [SLOTS]   # starts one, prints LLAMA_BASE_URL=…, stops on Ctrl-C
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerProcess } from './process.mjs';

const READY_TIMEOUT_MS = 120_000;

/**
 * The built server and model, or undefined when fetch-and-build.sh has not completed on this machine. Never
 * builds (that takes 10–30 min): run the script, as `.ci/run` does.
 */
export function llamaInstallation() {
  const cacheRoot =
    process.env.SLUICE_LLAMA_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '', '.cache'), 'sluice');
  const result = spawnSync('bash', ['-c', 'ls -d "$0"/llama-*/.complete 2>/dev/null | sort | tail -1', cacheRoot], {
    encoding: 'utf8',
  });
  const marker = result.stdout.trim();
  if (!marker) return undefined;
  const dir = dirname(marker);
  const server = join(dir, 'bin', 'llama-server');
  const model = join(dir, 'SmolLM2-135M-Instruct.Q4_1.gguf');
  return existsSync(server) && existsSync(model) ? { server, model } : undefined;
}

/**
 * Starts `llama-server` on a free loopback port with `slots` parallel slots (each 2,048 tokens of context) and
 * `threads` CPU threads; resolves once GET /health answers 200. Requests beyond the slots wait in the server's FIFO
 * queue. stop() ends it by its pid (SIGTERM, then SIGKILL) and removes its log directory.
 */
export async function startLlamaServer({ slots = 4, threads = 2, log = () => {} } = {}) {
  const installation = llamaInstallation();
  if (!installation)
    throw new Error('llama-server is not built: run `bash scripts/llama/fetch-and-build.sh` (10–30 min, once)');
  const { pid, port, stop } = await startServerProcess({
    name: 'llama-server',
    command: installation.server,
    args: (port) => [
      '-m',
      installation.model,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '-np',
      String(slots),
      '-c',
      String(2048 * slots),
      '-t',
      String(threads),
    ],
    // The shared libraries sit beside the binary; LD_LIBRARY_PATH also covers builds made before RPATH was $ORIGIN.
    env: {
      ...process.env,
      LD_LIBRARY_PATH: [dirname(installation.server), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
    },
    readyUrl: (port) => `http://127.0.0.1:${port}/health`,
    ready: (response) => response.status === 200,
    timeoutMs: READY_TIMEOUT_MS,
  });
  const baseUrl = `http://127.0.0.1:${port}/v1`;
  log(`llama-server: ${slots} slots, ${threads} threads, ${baseUrl} (pid ${pid})`);
  return { baseUrl, model: 'SmolLM2-135M-Instruct', pid, slots, stop };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const server = await startLlamaServer({
    slots: Number(process.argv[2] ?? 4),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`LLAMA_BASE_URL=${server.baseUrl}\n`);
  const shutdown = () => server.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
