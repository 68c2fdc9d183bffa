/**
 * Prompt packing under a requests-per-minute limit: items/s at pack 1, 5, 10, 20 in one run, against
 * the simulator's `saas-tier1` profile time-scaled, and the fraction of records whose result is exactly the
 * simulator's answer for their own input (must be 100%). Target: pack 10 ≥ 5× the items/s of pack 1.
 *
 *   npx tsx bench/packing.ts [--time-scale 10] [--minutes 3]
 *
 * Three variants, each with every pack size:
 *   - `saas-tier1` as is (RPM 500, TPM 200k; a request is charged prompt chars/4 + max_tokens at admission);
 *   - the same with `model.maxTokens: 128` instead of 256 (less charged per request at admission);
 *   - `saas-tier1, TPM lifted` (`--set tpm=100000000`): RPM is the only bound — the case packing is for.
 * Each run: a fresh simulator (full buckets), the pipeline pipelines/review-insights.yaml (max_tokens 256 per
 * record, so a pack of k asks k × 256), the auto limiter as `sluice run` builds it, unordered output, in process.
 * Buckets start full (capacity: one minute of limit), which would let the first minute's worth through at once; so
 * before each measured run the buckets are DRAINED (one request with max_tokens = the remaining tokens, then the
 * remaining requests as tiny ones — refused requests consume a request too) and the run starts against empty
 * buckets that refill at the limit: items/s = records / (first request → last record), over `--minutes`
 * model-minutes of records at the expected bound. Model time = real time × scale.
 * Writes bench/results/packing.json and bench/results/packing.md.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { loadPipelineFile } from '../src/config/load-pipeline.ts';
import type { PipelineConfig } from '../src/config/pipeline-schema.ts';
import { createEnvelope, isOk, type Envelope } from '../src/core/envelope.ts';
import { RunStats } from '../src/core/run-stats.ts';
import { createLimiter } from '../src/limiter/create-limiter.ts';
import { createLangChainClient } from '../src/llm/langchain-client.ts';
import { createPromptRenderer, estimateTokens } from '../src/llm/prompt.ts';
import { packedUserMessage } from '../src/pack/packed-format.ts';
import { PROFILES, startSimulator } from '../src/sim/index.ts';
import { llmMap } from '../src/stages/llm-map.ts';
import { llmMapPacked } from '../src/stages/llm-map-packed.ts';
import { expectedAnswerFor } from '../test/support/expected-answer.ts';
import { reviewRecords } from '../test/support/review-records.ts';
import { machineDescription } from './stages/measure.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const TIME_SCALE = arg('time-scale', 10);
const MINUTES = arg('minutes', 3);
const PACKS = process.argv.includes('--packs')
  ? process.argv[process.argv.indexOf('--packs') + 1]!.split(',').map(Number)
  : [1, 5, 10, 20];
const VARIANTS: Array<{ name: string; overrides: Record<string, number>; maxTokens?: number }> = [
  { name: 'saas-tier1', overrides: {} },
  { name: 'saas-tier1, model.maxTokens 128', overrides: {}, maxTokens: 128 },
  { name: 'saas-tier1, TPM lifted (RPM-bound only)', overrides: { tpm: 100_000_000 } },
];

interface Row {
  profile: string;
  pack: number;
  records: number;
  requests: number;
  itemsPerSecond: number;
  itemsPerModelMinute: number;
  exactFraction: number;
  deadLetters: number;
  retries: number;
  /** Real seconds from the first request to the last record. */
  durationS: number;
  /** Bucket levels found (and emptied) before the run. */
  drained: { requests: number; tokens: number };
  /** Requests the simulator refused with 429 (rate limits) during the run. */
  rejected: number;
  boundPerModelMinute: number;
  bound: 'RPM' | 'TPM';
  ratioVsPack1?: number;
}

/** Expected items per model-minute: min(RPM, TPM / mean charged tokens per request) × k (docs/profiles.md X*). */
function expectedBound(
  config: PipelineConfig,
  records: ReturnType<typeof reviewRecords>,
  pack: number,
  rpm: number,
  tpm: number,
) {
  const renderer = createPromptRenderer(config.prompt);
  let charged = 0;
  let packs = 0;
  for (let start = 0; start + pack <= records.length; start += pack, packs++) {
    const group = records.slice(start, start + pack);
    const rendered = group.map((r) => renderer.render(r)).map((x) => (x.ok ? x.messages : []));
    const system = rendered[0]!.filter((m) => m.role === 'system');
    const users = rendered.map((m, i) => ({ id: group[i]!.id, input: m.find((x) => x.role === 'user')!.content }));
    const messages =
      pack === 1 ? rendered[0]! : [...system, { role: 'user' as const, content: packedUserMessage(users) }];
    charged += estimateTokens(messages) + config.model.maxTokens * pack;
  }
  const mean = charged / packs;
  const requestsPerMinute = Math.min(rpm, tpm / mean);
  return { perMinute: requestsPerMinute * pack, bound: (rpm <= tpm / mean ? 'RPM' : 'TPM') as 'RPM' | 'TPM' };
}

async function measure(baseConfig: PipelineConfig, variant: (typeof VARIANTS)[number], pack: number): Promise<Row> {
  const config = variant.maxTokens
    ? { ...baseConfig, model: { ...baseConfig.model, maxTokens: variant.maxTokens } }
    : baseConfig;
  const params = { ...PROFILES['saas-tier1']!, ...variant.overrides };
  const sample = reviewRecords(20 * pack, 'k0000'); // same text lengths as the run's records
  const { perMinute, bound } = expectedBound(config, sample, pack, params.rpm, params.tpm);
  const count = Math.ceil((perMinute * MINUTES) / pack) * pack;
  const records = reviewRecords(count, `k${pack}`);
  const expected = expectedAnswerFor(config);
  const sim = await startSimulator({
    profile: 'saas-tier1',
    timeScale: TIME_SCALE,
    seed: 42,
    overrides: variant.overrides,
  });
  try {
    const pipeline: PipelineConfig = { ...config, pack, ordered: false };
    const client = createLangChainClient({
      model: { ...pipeline.model, baseUrl: sim.url },
      baseUrl: sim.url,
      apiKey: 'sk-bench-packing',
    });
    const limiter = createLimiter({ algorithm: 'auto', maxLimit: pipeline.maxConcurrency });
    const stats = new RunStats();
    const options = { pipeline, client, limiter, stats, ordered: false, window: 2 * pipeline.maxConcurrency };
    const stage = pack > 1 ? llmMapPacked(options) : llmMap(options);
    const envelopes = records.map((value, i) =>
      createEnvelope({
        id: value.id,
        value,
        meta: { kind: 'file', path: 'bench', line: i + 1 } as Envelope<unknown>['meta'],
      }),
    );
    const byId = new Map(records.map((r) => [r.id, r]));
    const times: number[] = [];
    let exact = 0;
    let deadLetters = 0;
    const controller = new AbortController();
    const drained = await drainBuckets(sim.url);
    const before = sim.stats();
    const started = performance.now();
    for await (const out of stage(
      (async function* () {
        yield* envelopes;
      })(),
      { signal: controller.signal },
    )) {
      times.push(performance.now());
      if (!isOk(out)) deadLetters++;
      else if (isDeepStrictEqual(out.value.result, expected(byId.get(out.id)!))) exact++;
    }
    const durationS = (times.at(-1)! - started) / 1000;
    const itemsPerSecond = count / durationS;
    const simStats = sim.stats();
    const rejected = (x: typeof before) => Object.values(x.rejected).reduce((m, n) => m + n, 0);
    return {
      profile: variant.name,
      pack,
      records: count,
      requests: simStats.completed - before.completed,
      itemsPerSecond,
      itemsPerModelMinute: (itemsPerSecond * 60) / TIME_SCALE,
      exactFraction: exact / count,
      deadLetters,
      retries: stats.retries,
      durationS,
      rejected: rejected(simStats) - rejected(before),
      drained,
      boundPerModelMinute: perMinute,
      bound,
    };
  } finally {
    await sim.close();
  }
}

/** Empties the simulator's request and token buckets (see the header); returns the levels found. */
async function drainBuckets(baseUrl: string): Promise<{ requests: number; tokens: number }> {
  const post = async (maxTokens: number) => {
    const res = await fetch(`${baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench-packing' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], max_tokens: maxTokens }),
    });
    await res.text();
    return res.headers;
  };
  const probe = await post(1);
  const tokens = Number(probe.get('x-ratelimit-remaining-tokens') ?? 0);
  if (tokens > 10) await post(tokens - 5);
  const requests = Number(probe.get('x-ratelimit-remaining-requests') ?? 0);
  await Promise.all(Array.from({ length: requests + 5 }, () => post(1)));
  return { requests, tokens };
}

const { config } = await loadPipelineFile(join(ROOT, 'pipelines/review-insights.yaml'), {});
const rows: Row[] = [];
for (const variant of VARIANTS) {
  for (const pack of PACKS) {
    const row = await measure(config, variant, pack);
    const base = rows.find((r) => r.profile === variant.name && r.pack === 1);
    if (base) row.ratioVsPack1 = row.itemsPerSecond / base.itemsPerSecond;
    else row.ratioVsPack1 = 1;
    rows.push(row);
    process.stderr.write(
      `${variant.name} pack ${pack}: ${row.itemsPerSecond.toFixed(1)} items/s (${row.ratioVsPack1.toFixed(2)}×), exact ${(row.exactFraction * 100).toFixed(2)}%, ${row.requests} requests, bound ${row.bound} ${row.boundPerModelMinute.toFixed(0)}/model-min, ${row.durationS.toFixed(1)} s, ${row.rejected} refused\n`,
    );
  }
}

const machine = machineDescription();
const at = new Date().toISOString();
await writeFile(
  join(ROOT, 'bench/results/packing.json'),
  `${JSON.stringify({ at, machine, timeScale: TIME_SCALE, minutes: MINUTES, rows }, null, 2)}\n`,
);
const lines = [
  `# Prompt packing — items/s by pack size (saas-tier1, time scale ${TIME_SCALE})`,
  '',
  `Measured ${at} on ${machine}. Command: \`npx tsx bench/packing.ts --time-scale ${TIME_SCALE} --minutes ${MINUTES}\`.`,
  'Buckets drained before each run; items/s = records / real seconds from the first request to the last record; "expected" is min(RPM, TPM / charged tokens) × k per model-minute (docs/profiles.md X*), charged = prompt chars/4 + k × max_tokens averaged over the run\'s packs.',
  '',
  '| profile | pack | records | requests | seconds | items/s | items / model-min | expected (bound) | × pack 1 | exact answers | dead letters | retries | 429s |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.profile} | ${r.pack} | ${r.records} | ${r.requests} | ${r.durationS.toFixed(1)} | ${r.itemsPerSecond.toFixed(1)} | ${r.itemsPerModelMinute.toFixed(0)} | ${r.boundPerModelMinute.toFixed(0)} (${r.bound}) | ${(r.ratioVsPack1 ?? 1).toFixed(2)} | ${(r.exactFraction * 100).toFixed(2)}% | ${r.deadLetters} | ${r.retries} | ${r.rejected} |`,
  ),
  '',
];
await writeFile(join(ROOT, 'bench/results/packing.md'), lines.join('\n'));
process.stdout.write(lines.join('\n'));
