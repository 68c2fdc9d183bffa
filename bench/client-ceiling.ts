/**
 * Client ceiling: how many records/s the client side can push when the model answers instantly (the simulator's
 * `null` profile, in its own process), and what each record costs in CPU. In ONE run, interleaved rounds (the
 * order rotates every round so load bursts from other processes spread over all variants):
 *   - the job `sluice run` builds (cli/build-job.ts), in-process, concurrency fixed and `auto`, with the default
 *     LangChain client and with `model.client: undici` (bench/ceiling/variants.ts);
 *   - a bare LangChain `withStructuredOutput(..., { method: 'jsonSchema', includeRaw: true })` loop;
 *   - a raw undici Pool loop posting the same bodies;
 *   the bare loops doing the same job around their client (file in, file out).
 * Reports the median records/s and CPU µs per record (process.cpuUsage, user + system, this process only — the
 * simulator's CPU is not counted), and the targets: sluice's own CPU per record = pipeline − bare loop of the same
 * client, the LangChain path / bare LangChain, the undici path in all. On a shared, loaded machine CPU time is the
 * more trustworthy of the two.
 *
 *   npx tsx bench/client-ceiling.ts [--records 2000] [--rounds 3] [--concurrency 64] [--only KIND,…] [--no-write]
 *
 * (`--only`: pipeline, pipeline-undici, langchain, undici.) Writes bench/results/client-ceiling.json and .md.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimProcess } from '../src/bench/sim-process.ts';
import { loadPipelineFile } from '../src/config/load-pipeline.ts';
import { ceilingMarkdown, summarizeRuns, type CeilingRun } from './ceiling/ceiling-report.ts';
import { runBareLangChain, runPipeline, runRawUndici, type CeilingInput } from './ceiling/variants.ts';
import { loadReviewLines } from './data/generate-reviews.ts';
import { machineDescription } from './stages/measure.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};
const RECORDS = option('--records', 2000);
const ROUNDS = option('--rounds', 3);
const CONCURRENCY = option('--concurrency', 64);
const WRITE_RESULTS = !args.includes('--no-write');
const API_KEY = 'sk-bench-ceiling';
const PIPELINE = fileURLToPath(new URL('../pipelines/review-insights.yaml', import.meta.url));
/** `--only pipeline,undici`: run only the variants of these kinds (pipeline, pipeline-undici, langchain, undici). */
const ONLY = (() => {
  const i = args.indexOf('--only');
  return i >= 0 ? new Set((args[i + 1] ?? '').split(',')) : undefined;
})();

interface Variant {
  readonly name: string;
  readonly kind: CeilingRun['kind'];
  run(dir: string, round: number): Promise<number>;
}

async function main(): Promise<void> {
  const machine = machineDescription();
  const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-ceiling-'));
  const sim = await startSimProcess({ profile: 'null', timeScale: 1 });
  try {
    const { lines, origin } = loadReviewLines(RECORDS);
    const inputPath = join(dir, 'reviews.jsonl');
    await writeFile(inputPath, `${lines.join('\n')}\n`);
    const { config } = await loadPipelineFile(PIPELINE, { ...process.env, OPENAI_API_KEY: API_KEY });
    process.env.OPENAI_API_KEY = API_KEY; // the pipeline variants read it as the CLI does
    const input: CeilingInput = {
      pipeline: config,
      pipelinePath: PIPELINE,
      baseUrl: sim.url,
      apiKey: API_KEY,
      inputPath,
    };
    const out = (name: string, round: number) =>
      [join(dir, `${name}-${round}.jsonl`), join(dir, `${name}-${round}.dead.jsonl`)] as const;
    const allVariants: Variant[] = [
      {
        name: `pipeline, concurrency ${CONCURRENCY}`,
        kind: 'pipeline',
        run: (_d, r) => runPipeline(input, CONCURRENCY, ...out('fixed', r)),
      },
      {
        name: 'pipeline, concurrency auto',
        kind: 'pipeline',
        run: (_d, r) => runPipeline(input, 'auto', ...out('auto', r)),
      },
      {
        name: `pipeline with model.client: undici, concurrency ${CONCURRENCY}`,
        kind: 'pipeline-undici',
        run: (_d, r) => runPipeline(input, CONCURRENCY, ...out('undici', r), 'undici'),
      },
      {
        name: 'pipeline with model.client: undici, concurrency auto',
        kind: 'pipeline-undici',
        run: (_d, r) => runPipeline(input, 'auto', ...out('undici-auto', r), 'undici'),
      },
      {
        name: `bare LangChain loop, p-limit ${CONCURRENCY}`,
        kind: 'langchain',
        run: (_d, r) => runBareLangChain(input, CONCURRENCY, out('bare-langchain', r)[0]),
      },
      {
        name: `raw undici Pool loop, ${CONCURRENCY} connections`,
        kind: 'undici',
        run: (_d, r) => runRawUndici(input, CONCURRENCY, out('bare-undici', r)[0]),
      },
    ];
    const variants = allVariants.filter((v) => !ONLY || ONLY.has(v.kind));

    const runs: CeilingRun[] = [];
    for (let round = -1; round < ROUNDS; round++) {
      // Round -1 is an untimed warm-up (JIT, connections, LangChain's lazy imports).
      const order = variants.map((_, i) => variants[(i + Math.max(0, round)) % variants.length] as Variant);
      for (const variant of order) {
        const cpu = process.cpuUsage();
        const started = performance.now();
        const produced = await variant.run(dir, round);
        const wallMs = performance.now() - started;
        const used = process.cpuUsage(cpu);
        if (produced !== RECORDS) throw new Error(`${variant.name}: ${produced} records answered, expected ${RECORDS}`);
        if (round >= 0)
          runs.push({
            variant: variant.name,
            kind: variant.kind,
            round,
            records: RECORDS,
            wallMs,
            cpuUserUs: used.user,
            cpuSystemUs: used.system,
          });
        process.stderr.write(
          `ceiling: round ${round + 1}/${ROUNDS} ${variant.name}: ${Math.round(RECORDS / (wallMs / 1000))} records/s, ${Math.round((used.user + used.system) / RECORDS)} CPU µs/record\n`,
        );
      }
    }
    const rows = summarizeRuns(runs);
    const result = {
      bench: 'client-ceiling',
      generatedAt: new Date().toISOString(),
      machine,
      command: `npx tsx bench/client-ceiling.ts --records ${RECORDS} --rounds ${ROUNDS} --concurrency ${CONCURRENCY}`,
      input: origin,
      records: RECORDS,
      rounds: ROUNDS,
      concurrency: CONCURRENCY,
      rows,
      runs,
    };
    const markdown = ceilingMarkdown(result);
    process.stdout.write(markdown);
    if (WRITE_RESULTS) {
      const results = fileURLToPath(new URL('./results/', import.meta.url));
      await mkdir(results, { recursive: true });
      await writeFile(join(results, 'client-ceiling.json'), `${JSON.stringify(result, null, 2)}\n`);
      await writeFile(join(results, 'client-ceiling.md'), markdown);
    }
  } finally {
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
