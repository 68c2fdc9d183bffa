/**
 * `npm run demo`: the main job end to end on the built-in simulator, no key, no network.
 * Starts `sluice sim` (saas-tier1: 500 RPM, 200k TPM, real 429s — time-scaled ×20 so the demo takes seconds),
 * runs `sluice run pipelines/review-insights.yaml` over the bundled English and Chinese samples as a child
 * process, prints a few analysed reviews and where everything went.
 */
import { spawn } from 'node:child_process';
import { createReadStream, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSimulator, type SimStats } from '../sim/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const outDir = join(root, 'out', 'demo');
const output = join(outDir, 'insights.jsonl');
const deadLetters = join(outDir, 'dead-letters.jsonl');
const inputs = ['examples/reviews-en.sample.jsonl', 'examples/chinese-reviews-by-team.sample.jsonl'].map((f) =>
  join(root, f),
);

mkdirSync(outDir, { recursive: true });
const sim = await startSimulator({ profile: 'saas-tier1', timeScale: 20 });
process.stderr.write(`demo: simulator (saas-tier1, time-scale 20) at ${sim.url}\n`);

try {
  const child = spawn(
    process.execPath,
    [
      join(root, 'bin/sluice.js'),
      'run',
      join(root, 'pipelines/review-insights.yaml'),
      '-o',
      output,
      '--dead-letter',
      deadLetters,
    ],
    {
      env: { ...process.env, SLUICE_BASE_URL: sim.url, OPENAI_API_KEY: 'sk-demo-not-a-real-key' },
      stdio: ['pipe', 'inherit', 'inherit'],
    },
  );
  for (const input of inputs) {
    for await (const chunk of createReadStream(input)) child.stdin.write(chunk);
  }
  child.stdin.end();
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));

  const lines = readFileSync(output, 'utf8').trim().split('\n');
  const show = [lines[0], lines[1], lines[lines.length - 2], lines[lines.length - 1]].filter(Boolean) as string[];
  process.stdout.write(`\nA few of the ${lines.length} analysed reviews:\n`);
  for (const line of show) {
    const record = JSON.parse(line) as { id: string; result: unknown };
    process.stdout.write(`  ${record.id}: ${JSON.stringify(record.result)}\n`);
  }
  process.stdout.write(`\nResults: ${output}\n${describeTraffic(sim.stats())}\n`);
  process.exitCode = code;
} finally {
  await sim.close();
}

/**
 * What the simulator went through, in the summary's terms: every refusal and failure it served is one retry in the
 * summary ("retries: rate_limited 3, overloaded 1"). A 503 is a failure here but "overloaded" there.
 */
function describeTraffic(stats: SimStats): string {
  const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
  const list = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([kind, n]) => `${kind} ${n}`)
      .join(', ');
  const refused = sum(stats.rejected);
  const failed = sum(stats.failed);
  return (
    `The simulator (${stats.profile}) received ${stats.received} requests: ${stats.completed} answered, ` +
    `${refused} refused by its limits${refused ? ` (${list(stats.rejected)})` : ''}, ` +
    `${failed} failed on purpose as real providers sometimes do${failed ? ` (${list(stats.failed)})` : ''}. ` +
    'Each refusal or failure was retried: those are the retries in the summary above.'
  );
}
