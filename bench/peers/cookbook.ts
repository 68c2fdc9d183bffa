/**
 * The openai-cookbook's `examples/api_request_parallel_processor.py` as a benchmark peer, located and prepared at
 * run time — the script is never part of this repository:
 *
 * - the script: `--cookbook-script PATH` (or SLUICE_COOKBOOK_SCRIPT), else the copy cached in
 *   ~/.cache/sluice/openai-cookbook/, else downloaded from raw.githubusercontent.com into that cache;
 * - Python: `--cookbook-python PATH` (or SLUICE_COOKBOOK_PYTHON), a python with aiohttp and tiktoken, else a venv in
 *   ~/.cache/sluice/cookbook-venv made with `python3 -m venv` and `pip install aiohttp tiktoken` from PyPI;
 * - tiktoken's cl100k_base file: the script counts tokens with it, and tiktoken downloads it on first use. When that
 *   download is impossible (no route to openaipublic.blob.core.windows.net) the cache file is written from the
 *   cl100k_base ranks js-tiktoken ships (same ranks, re-encoded to tiktoken's format; tiktoken checks the SHA-256 it
 *   expects, so a wrong file is refused, not used).
 *
 * The script runs through bench/peers/cookbook-runner.py, which only widens its https-only endpoint regex to accept
 * the simulator's http:// URL.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CACHE = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sluice');
const SCRIPT_URL =
  'https://raw.githubusercontent.com/openai/openai-cookbook/main/examples/api_request_parallel_processor.py';
const TIKTOKEN_BLOB = 'https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken';
const CL100K_SHA256 = '223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7';
export const COOKBOOK_RUNNER = fileURLToPath(new URL('./cookbook-runner.py', import.meta.url));

export interface CookbookPeer {
  readonly script: string;
  readonly python: string;
  /** Environment for the run: TIKTOKEN_CACHE_DIR pointing at a cache holding cl100k_base. */
  readonly env: Record<string, string>;
  /** Where each part came from, for the report. */
  readonly origin: string;
}

/** Locates or prepares everything; resolves to undefined (with the reason logged) when the peer cannot run here. */
export async function prepareCookbook(options: {
  script?: string;
  python?: string;
  log: (line: string) => void;
}): Promise<CookbookPeer | undefined> {
  const script = await locateScript(options.script ?? process.env.SLUICE_COOKBOOK_SCRIPT, options.log);
  if (!script) return undefined;
  const python = await locatePython(options.python ?? process.env.SLUICE_COOKBOOK_PYTHON, options.log);
  if (!python) return undefined;
  const tiktokenCache = join(CACHE, 'tiktoken');
  const tiktokenOrigin = await ensureCl100k(tiktokenCache, python.path);
  return {
    script: script.path,
    python: python.path,
    env: { TIKTOKEN_CACHE_DIR: tiktokenCache },
    origin: `script ${script.origin}; Python ${python.origin}; tiktoken cl100k_base ${tiktokenOrigin}`,
  };
}

async function locateScript(
  given: string | undefined,
  log: (line: string) => void,
): Promise<{ path: string; origin: string } | undefined> {
  if (given) {
    if (!existsSync(given)) throw new Error(`cookbook script ${given} does not exist`);
    return { path: given, origin: 'given on the command line' };
  }
  const cached = join(CACHE, 'openai-cookbook', 'api_request_parallel_processor.py');
  if (existsSync(cached)) return { path: cached, origin: 'cached under ~/.cache/sluice' };
  try {
    const response = await fetch(SCRIPT_URL, { signal: AbortSignal.timeout(15_000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    await mkdir(join(CACHE, 'openai-cookbook'), { recursive: true });
    await writeFile(cached, await response.text());
    return { path: cached, origin: `downloaded from ${SCRIPT_URL}` };
  } catch (error) {
    log(
      `peers: the cookbook script is not available (${(error as Error).message}): give --cookbook-script PATH (openai/openai-cookbook, examples/api_request_parallel_processor.py); skipping it`,
    );
    return undefined;
  }
}

async function locatePython(
  given: string | undefined,
  log: (line: string) => void,
): Promise<{ path: string; origin: string } | undefined> {
  const hasModules = (python: string) =>
    spawnSync(python, ['-c', 'import aiohttp, tiktoken'], { stdio: 'ignore' }).status === 0;
  if (given) {
    if (!hasModules(given)) throw new Error(`${given} cannot import aiohttp and tiktoken`);
    return { path: given, origin: 'given on the command line' };
  }
  const venv = join(CACHE, 'cookbook-venv');
  const python = join(venv, 'bin', 'python');
  if (existsSync(python) && hasModules(python))
    return { path: python, origin: `venv under ~/.cache/sluice${versions(python)}` };
  log(`peers: creating a venv for the cookbook script in ${venv} (aiohttp, tiktoken from PyPI)`);
  const steps: Array<[string, string[]]> = [
    ['python3', ['-m', 'venv', venv]],
    [python, ['-m', 'pip', 'install', '--quiet', 'aiohttp', 'tiktoken']],
  ];
  for (const [command, args] of steps) {
    const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    if (result.status !== 0) {
      log(
        `peers: ${command} ${args.join(' ')} failed (${result.status ?? result.error?.message}); skipping the cookbook script`,
      );
      return undefined;
    }
  }
  return { path: python, origin: `venv under ~/.cache/sluice (created now)${versions(python)}` };
}

function versions(python: string): string {
  const out = spawnSync(
    python,
    ['-c', 'import sys, aiohttp, tiktoken; print(sys.version.split()[0], aiohttp.__version__, tiktoken.__version__)'],
    { encoding: 'utf8' },
  );
  const [py, aiohttp, tiktoken] = out.stdout.trim().split(' ');
  return out.status === 0 ? ` — Python ${py}, aiohttp ${aiohttp}, tiktoken ${tiktoken}` : '';
}

/** Makes sure tiktoken finds cl100k_base in `dir` (tiktoken's cache file name is the SHA-1 of the blob URL). */
async function ensureCl100k(dir: string, python: string): Promise<string> {
  const file = join(dir, createHash('sha1').update(TIKTOKEN_BLOB).digest('hex'));
  if (existsSync(file)) return 'cached';
  await mkdir(dir, { recursive: true });
  const probe = spawnSync(python, ['-c', 'import tiktoken; tiktoken.get_encoding("cl100k_base")'], {
    env: { ...process.env, TIKTOKEN_CACHE_DIR: dir },
    stdio: 'ignore',
    timeout: 60_000,
  });
  if (probe.status === 0 && existsSync(file)) return 'downloaded by tiktoken into the cache';
  const { default: ranks } = (await import('js-tiktoken/ranks/cl100k_base')) as { default: { bpe_ranks: string } };
  const entries: Array<[string, number]> = [];
  for (const line of ranks.bpe_ranks.split('\n')) {
    if (!line) continue;
    const [, offset, ...tokens] = line.split(' ');
    tokens.forEach((token, i) => entries.push([token, Number(offset) + i]));
  }
  entries.sort((a, b) => a[1] - b[1]);
  const text = entries.map(([token, rank]) => `${token} ${rank}\n`).join('');
  const digest = createHash('sha256').update(text).digest('hex');
  if (digest !== CL100K_SHA256)
    throw new Error(`cl100k_base rebuilt from js-tiktoken has SHA-256 ${digest}, tiktoken expects ${CL100K_SHA256}`);
  await writeFile(file, text);
  return `written into the cache from js-tiktoken's ranks (SHA-256 as tiktoken expects)`;
}
