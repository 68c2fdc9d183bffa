/**
 * sluice beside its real peers, each a whole process measured the way a user measures a command (GNU time: CPU =
 * user + system, peak RSS), over the same records against the same simulator (`null` profile, its own process):
 *
 *   - `sluice run pipelines/review-insights.yaml` with its defaults (LangChain client), and with `model.client: undici`;
 *   - a bare LangChain `withStructuredOutput(…, { method: 'jsonSchema', includeRaw: true })` loop (bench/peers/bare-langchain.mjs);
 *   - a bare undici Pool loop (bench/peers/bare-undici.mjs);
 *   - the openai-cookbook's api_request_parallel_processor.py (located or fetched at run time, never committed:
 *     bench/peers/cookbook.ts says how), rate limits set out of reach, logging at ERROR.
 *
 * The loops and the cookbook script read a requests file holding, per record, the exact chat-completions body
 * sluice's undici client sends for it (same prompt, schema, max_tokens); sluice reads the records themselves. Every
 * variant writes one result per record to a file, and the benchmark checks that all of them did. One warm-up round,
 * then ROUNDS interleaved rounds (order rotated); medians; ratios within this one run.
 *
 *   npx tsx bench/peers.ts [--records 2000] [--rounds 3] [--concurrency 64] [--cookbook-script PATH]
 *                          [--cookbook-python PATH] [--before-bin OTHER_CHECKOUT/bin/sluice.js] [--no-write]
 *
 * Runs bin/sluice.js (the bundled CLI: `npm run build` first). Writes bench/results/peers.{json,md}.
 */
import { readFile, writeFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimProcess } from '../src/bench/sim-process.ts';
import { loadPipelineFile } from '../src/config/load-pipeline.ts';
import { createPromptRenderer } from '../src/llm/prompt.ts';
import { loadReviewLines } from './data/generate-reviews.ts';
import { COOKBOOK_RUNNER, prepareCookbook } from './peers/cookbook.ts';
import { median, requireGnuTime, timedRun, type TimedRun } from './process/timed-run.ts';
import { machineDescription } from './stages/measure.ts';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const RECORDS = Number(flag('--records') ?? 2000);
const ROUNDS = Number(flag('--rounds') ?? 3);
const CONCURRENCY = Number(flag('--concurrency') ?? 64);
for (const [name, value] of [
  ['--records', RECORDS],
  ['--rounds', ROUNDS],
  ['--concurrency', CONCURRENCY],
] as const) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
}
const WRITE_RESULTS = !args.includes('--no-write');
/** `--before-bin PATH`: another build's bin/sluice.js (e.g. a checkout of an earlier commit) measured in the same run. */
const BEFORE_BIN = flag('--before-bin');
const BIN = fileURLToPath(new URL('../bin/sluice.js', import.meta.url));
const PIPELINE = fileURLToPath(new URL('../pipelines/review-insights.yaml', import.meta.url));
const PEERS = fileURLToPath(new URL('./peers/', import.meta.url));
const API_KEY = 'sk-bench-peers';

type Kind =
  | 'sluice-langchain'
  | 'sluice-undici'
  | 'sluice-undici-fixed'
  | 'before-langchain'
  | 'before-undici'
  | 'bare-langchain'
  | 'bare-undici'
  | 'cookbook';
interface Variant {
  readonly name: string;
  readonly kind: Kind;
  run(output: string): Promise<TimedRun>;
}
interface Sample {
  readonly kind: Kind;
  readonly round: number;
  readonly wallS: number;
  readonly cpuS: number;
  readonly maxRssMb: number;
}

async function main(): Promise<void> {
  requireGnuTime();
  const machine = machineDescription();
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-peers-'));
  const sim = await startSimProcess({ profile: 'null', timeScale: 1 });
  try {
    const { lines, origin } = loadReviewLines(RECORDS);
    const input = join(dir, 'reviews.jsonl');
    await writeFile(input, `${lines.join('\n')}\n`);
    const undiciPipeline = join(dir, 'review-insights-undici.yaml');
    await writeFile(
      undiciPipeline,
      (await readFile(PIPELINE, 'utf8')).replace(/^model:\n/m, 'model:\n  client: undici\n'),
    );
    const requests = join(dir, 'requests.jsonl');
    await writeFile(requests, await requestBodies(lines));
    const env = { ...process.env, OPENAI_API_KEY: API_KEY };
    const cookbook = await prepareCookbook({
      script: flag('--cookbook-script'),
      python: flag('--cookbook-python'),
      log: (line) => process.stderr.write(`${line}\n`),
    });

    const sluice =
      (pipeline: string, bin = BIN, extra: string[] = []) =>
      (output: string) =>
        timedRun(
          process.execPath,
          [bin, 'run', pipeline, '-i', input, '-o', output, '--base-url', sim.url, '--no-progress', ...extra],
          { env },
        );
    const script = (file: string) => (output: string) =>
      timedRun(process.execPath, [join(PEERS, file), requests, output, sim.url, String(CONCURRENCY)], { env });
    const variants: Variant[] = [
      {
        name: 'sluice run, defaults (LangChain client, concurrency auto)',
        kind: 'sluice-langchain',
        run: sluice(PIPELINE),
      },
      {
        name: 'sluice run, model.client: undici (concurrency auto)',
        kind: 'sluice-undici',
        run: sluice(undiciPipeline),
      },
      // The bare loops hold CONCURRENCY calls in flight; `auto` climbs to maxConcurrency (256) against a server that
      // answers at once, which costs CPU per record (more sockets) without any gain: the same job at the loops' level.
      {
        name: `sluice run, model.client: undici, -c ${CONCURRENCY}`,
        kind: 'sluice-undici-fixed',
        run: sluice(undiciPipeline, BIN, ['-c', String(CONCURRENCY)]),
      },
      {
        name: `bare LangChain withStructuredOutput loop (p-limit ${CONCURRENCY})`,
        kind: 'bare-langchain',
        run: script('bare-langchain.mjs'),
      },
      {
        name: `bare undici Pool loop (${CONCURRENCY} connections)`,
        kind: 'bare-undici',
        run: script('bare-undici.mjs'),
      },
    ];
    if (BEFORE_BIN) {
      variants.push(
        {
          name: 'sluice run before (BEFORE_BIN), defaults',
          kind: 'before-langchain',
          run: sluice(PIPELINE, BEFORE_BIN),
        },
        {
          name: 'sluice run before (BEFORE_BIN), model.client: undici',
          kind: 'before-undici',
          run: sluice(undiciPipeline, BEFORE_BIN),
        },
      );
    }
    if (cookbook) {
      variants.push({
        name: 'openai-cookbook api_request_parallel_processor.py',
        kind: 'cookbook',
        run: async (output) => {
          await rm(output, { force: true }); // it appends
          return timedRun(
            cookbook.python,
            [
              COOKBOOK_RUNNER,
              cookbook.script,
              '--requests_filepath',
              requests,
              '--save_filepath',
              output,
              '--request_url',
              `${sim.url}/chat/completions`,
              '--max_requests_per_minute',
              '100000000',
              '--max_tokens_per_minute',
              '100000000000',
              '--max_attempts',
              '5',
              '--logging_level',
              '40',
            ],
            { env: { ...env, ...cookbook.env } },
          );
        },
      });
    }

    const samples: Sample[] = [];
    for (let round = -1; round < ROUNDS; round++) {
      // Round -1 is a warm-up (file cache, the simulator's sockets); it is not counted.
      for (let i = 0; i < variants.length; i++) {
        const variant = variants[(i + Math.max(0, round)) % variants.length] as Variant;
        const output = join(dir, `${variant.kind}.out.jsonl`);
        const r = await variant.run(output);
        const written = (await readFile(output, 'utf8')).split('\n').filter(Boolean).length;
        if (r.code !== 0 || written !== RECORDS)
          throw new Error(`${variant.name}: exit ${r.code}, ${written} of ${RECORDS} results written\n${r.stderr}`);
        if (round >= 0) samples.push({ kind: variant.kind, round, wallS: r.wallS, cpuS: r.cpuS, maxRssMb: r.maxRssMb });
        process.stderr.write(
          `peers: round ${round + 1}/${ROUNDS} ${variant.name}: ${r.wallS.toFixed(2)} s, ${((r.cpuS * 1000) / RECORDS).toFixed(2)} CPU ms/record, peak RSS ${r.maxRssMb.toFixed(0)} MB\n`,
        );
      }
    }
    const rows = variants.map((v) => {
      const mine = samples.filter((s) => s.kind === v.kind);
      return {
        variant: v.name,
        kind: v.kind,
        wallS: median(mine.map((s) => s.wallS)),
        cpuMsPerRecord: median(mine.map((s) => (s.cpuS * 1000) / RECORDS)),
        maxRssMb: median(mine.map((s) => s.maxRssMb)),
      };
    });
    const result = {
      bench: 'peers',
      generatedAt: new Date().toISOString(),
      machine,
      command: `npx tsx bench/peers.ts --records ${RECORDS} --rounds ${ROUNDS} --concurrency ${CONCURRENCY}${BEFORE_BIN ? ' --before-bin …' : ''}`,
      // Not the path: results are committed, and a path names one machine.
      beforeBin: BEFORE_BIN ? 'another build, --before-bin' : null,
      input: origin,
      cookbook: cookbook?.origin ?? 'not run (script or Python unavailable)',
      records: RECORDS,
      rows,
      samples,
    };
    const markdown = peersMarkdown(result);
    process.stdout.write(markdown);
    if (WRITE_RESULTS) {
      const results = fileURLToPath(new URL('./results/', import.meta.url));
      await mkdir(results, { recursive: true });
      await writeFile(join(results, 'peers.json'), `${JSON.stringify(result, null, 2)}\n`);
      await writeFile(join(results, 'peers.md'), markdown);
    }
  } finally {
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Per record, the body sluice's undici client posts for it (llm/undici-client.ts), plus the cookbook's `metadata`. */
async function requestBodies(lines: readonly string[]): Promise<string> {
  const { config } = await loadPipelineFile(PIPELINE, { ...process.env, OPENAI_API_KEY: API_KEY });
  const renderer = createPromptRenderer(config.prompt);
  const { schema, schemaName } = config.output;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const strict =
    schema.additionalProperties === false &&
    Object.keys((schema.properties as object | undefined) ?? {}).every((p) => required.has(p));
  const responseFormat = { type: 'json_schema', json_schema: { name: schemaName, schema, strict } };
  let out = '';
  for (const line of lines) {
    const record = JSON.parse(line) as Record<string, unknown>;
    const rendered = renderer.render(record);
    if (!rendered.ok) throw new Error(`record ${String(record.id)} lacks ${rendered.missing.join(', ')}`);
    const body = {
      model: config.model.name,
      messages: rendered.messages,
      temperature: config.model.temperature,
      max_tokens: config.model.maxTokens,
      response_format: responseFormat,
      metadata: { id: record.id },
    };
    out += `${JSON.stringify(body)}\n`;
  }
  return out;
}

type Row = { variant: string; kind: Kind; wallS: number; cpuMsPerRecord: number; maxRssMb: number };

function peersMarkdown(result: {
  machine: string;
  command: string;
  generatedAt: string;
  input: string;
  cookbook: string;
  records: number;
  rows: readonly Row[];
}): string {
  const by = (kind: Kind) => result.rows.find((r) => r.kind === kind);
  const cookbook = by('cookbook');
  const lines = [
    '# sluice beside its peers',
    '',
    `Measured ${result.generatedAt} on ${result.machine}.`,
    `Command: \`${result.command}\`. Input: ${result.input}. Cookbook: ${result.cookbook}. Each variant a whole process under GNU time (CPU = user + system, start-up included, V8's and Python's background threads included); simulator \`null\` profile in its own process; every variant wrote all ${result.records} results. Medians over the rounds; ratios within this one run.`,
    '',
    '| variant | wall s | CPU ms / record | × cookbook | peak RSS MB |',
    '|---|---:|---:|---:|---:|',
    ...result.rows.map(
      (r) =>
        `| ${r.variant} | ${r.wallS.toFixed(2)} | ${r.cpuMsPerRecord.toFixed(2)} | ${cookbook ? `${(r.cpuMsPerRecord / cookbook.cpuMsPerRecord).toFixed(2)}×` : '—'} | ${r.maxRssMb.toFixed(0)} |`,
    ),
    '',
  ];
  const lean = by('sluice-undici');
  const lc = by('sluice-langchain');
  const bareLc = by('bare-langchain');
  const bareUndici = by('bare-undici');
  const met = (ok: boolean) => (ok ? 'met' : '**not met**');
  if (lean && cookbook)
    lines.push(
      `- sluice with \`model.client: undici\` vs the cookbook script, CPU per record: ${lean.cpuMsPerRecord.toFixed(2)} vs ${cookbook.cpuMsPerRecord.toFixed(2)} ms (target ≤: ${met(lean.cpuMsPerRecord <= cookbook.cpuMsPerRecord)}).`,
    );
  if (lc && bareLc)
    lines.push(
      `- sluice's default (LangChain) path vs the bare LangChain loop, CPU per record: ${(lc.cpuMsPerRecord / bareLc.cpuMsPerRecord).toFixed(2)}× (each with its own start-up).`,
    );
  const leanFixed = by('sluice-undici-fixed');
  if (leanFixed && cookbook)
    lines.push(
      `- the same at the bare loops' concurrency (\`-c\`): ${leanFixed.cpuMsPerRecord.toFixed(2)} vs ${cookbook.cpuMsPerRecord.toFixed(2)} ms (${met(leanFixed.cpuMsPerRecord <= cookbook.cpuMsPerRecord)}).`,
    );
  if (lean && bareUndici)
    lines.push(
      `- sluice's own CPU per record with the undici client, start-up included: ${((lean.cpuMsPerRecord - bareUndici.cpuMsPerRecord) * 1000).toFixed(0)} µs (sluice − bare undici loop)${leanFixed ? `; ${((leanFixed.cpuMsPerRecord - bareUndici.cpuMsPerRecord) * 1000).toFixed(0)} µs at the same concurrency` : ''}.`,
    );
  for (const row of [lc, lean])
    if (row)
      lines.push(
        `- peak RSS of ${row.variant}: ${row.maxRssMb.toFixed(0)} MB (target ≤ 128: ${met(row.maxRssMb <= 128)}).`,
      );
  lines.push('');
  return lines.join('\n');
}

await main();
