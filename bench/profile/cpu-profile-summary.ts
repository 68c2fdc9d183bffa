/**
 * Summarises a V8 CPU profile (`node --cpu-prof`): where the sampled time went by category (sluice's own code, the
 * HTTP client, LangChain/OpenAI SDK, module loading, garbage collection, …) and the top functions by self time.
 * Node-internal frames without a category of their own are charged to the nearest caller that has one.
 *
 *   npx tsx bench/profile/cpu-profile-summary.ts PROFILE.cpuprofile [--top 25] [--markdown]
 *
 * Note: a CPU profile covers the main thread only; GNU time's CPU also counts V8's background threads
 * (concurrent compilation and marking, parallel scavenges).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly categories: ReadonlyArray<{ readonly name: string; readonly ms: number; readonly share: number }>;
  readonly functions: ReadonlyArray<{ readonly name: string; readonly ms: number; readonly share: number }>;
}

const OWN = /\/(dist|src)\/(?!.*node_modules)/;

function categoryOf(url: string, functionName: string): string | undefined {
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)') return 'V8 (program)';
  if (/node_modules\/undici\//.test(url)) return 'undici (HTTP client)';
  if (/node_modules\/(@langchain|openai|langsmith)\//.test(url)) return 'LangChain + OpenAI SDK';
  if (/node_modules\/(zod|yaml)\//.test(url)) return 'zod + yaml (pipeline file, answer validation)';
  if (/node_modules\//.test(url)) return 'other dependencies';
  if (OWN.test(url)) return 'sluice';
  if (/internal\/modules\/|internal\/bootstrap\//.test(url)) return 'module loading';
  return undefined;
}

export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const categories = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    let category = categoryOf(url, functionName);
    for (let up = parent.get(node.id); category === undefined && up !== undefined; up = parent.get(up)) {
      const caller = byId.get(up)!.callFrame;
      const found = categoryOf(caller.url, caller.functionName);
      if (found && found !== 'V8 (program)')
        category =
          found === 'sluice'
            ? 'Node internals called by sluice'
            : found === 'undici (HTTP client)'
              ? 'Node internals called by undici'
              : found;
    }
    category ??= 'Node internals (event loop, streams, sockets)';
    categories.set(category, (categories.get(category) ?? 0) + us);
    const name = `${functionName || '(anonymous)'} ${url
      .replace(/^.*node_modules\//, '')
      .replace(/^.*\/(dist|src)\//, '$1/')
      .replace(/^file:\/\//, '')}${url ? `:${lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const rows = (map: Map<string, number>) =>
    [...map].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: us / 1000, share: us / total }));
  return { totalMs: total / 1000, categories: rows(categories), functions: rows(functions).slice(0, top) };
}

export function profileMarkdown(summary: ProfileSummary): string {
  const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
  return [
    `Sampled main-thread time: ${summary.totalMs.toFixed(0)} ms.`,
    '',
    '| category | ms | share |',
    '|---|---:|---:|',
    ...summary.categories.map((c) => `| ${c.name} | ${c.ms.toFixed(0)} | ${pct(c.share)} |`),
    '',
    '| function (self time) | ms | share |',
    '|---|---:|---:|',
    ...summary.functions.map((f) => `| \`${f.name}\` | ${f.ms.toFixed(0)} | ${pct(f.share)} |`),
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--'));
  if (!file) {
    process.stderr.write('usage: cpu-profile-summary.ts PROFILE.cpuprofile [--top N] [--markdown]\n');
    process.exit(2);
  }
  const i = args.indexOf('--top');
  const summary = summarizeProfile(
    JSON.parse(readFileSync(file, 'utf8')) as CpuProfile,
    i >= 0 ? Number(args[i + 1]) : 25,
  );
  if (args.includes('--markdown')) process.stdout.write(profileMarkdown(summary));
  else {
    process.stdout.write(`total ${summary.totalMs.toFixed(0)} ms\n`);
    for (const c of summary.categories)
      process.stdout.write(
        `${c.ms.toFixed(0).padStart(8)} ms ${(c.share * 100).toFixed(1).padStart(5)} %  ${c.name}\n`,
      );
    process.stdout.write('\n');
    for (const f of summary.functions)
      process.stdout.write(
        `${f.ms.toFixed(1).padStart(8)} ms ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.name}\n`,
      );
  }
}
