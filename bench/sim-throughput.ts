/**
 * How many small chat requests per second the simulator's `null` profile serves, in its own process, to an undici
 * Pool with keep-alive: the simulator must never be the bottleneck it measures (target ≥ 8,000 req/s on a 2-core
 * machine). Usage: `npx tsx bench/sim-throughput.ts [--seconds 10] [--connections 32] [--in-flight 128]`.
 * Prints one JSON line: requests, seconds, requestsPerSecond, errors, server-side completed count, machine.
 */
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i === -1 ? undefined : Number(process.argv[i + 1]);
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : fallback;
}

const seconds = arg('seconds', 10);
const connections = arg('connections', 32);
const inFlight = arg('in-flight', 128);
const bin = fileURLToPath(new URL('../bin/sluice.js', import.meta.url));

const child = spawn(process.execPath, [bin, 'sim', '--profile', 'null', '--port', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const line = out.split('\n')[0];
    if (out.includes('\n') && line) resolve(line.trim());
  });
  child.once('exit', (code) => reject(new Error(`simulator exited early with code ${code}`)));
});
const origin = new URL(url).origin;
const pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
const body = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Great quality, fast delivery.' }],
  max_tokens: 50,
});
const headers = { 'content-type': 'application/json' };

async function one(): Promise<boolean> {
  const res = await pool.request({ path: '/v1/chat/completions', method: 'POST', body, headers });
  await res.body.dump();
  return res.statusCode === 200;
}

// Warm up (JIT, connections), then measure.
const warmEnd = performance.now() + 1000;
await Promise.all(
  Array.from({ length: inFlight }, async () => {
    while (performance.now() < warmEnd) await one();
  }),
);
await pool.request({ path: '/sim/reset', method: 'POST' }).then((r) => r.body.dump());

let ok = 0;
let errors = 0;
const start = performance.now();
const end = start + seconds * 1000;
await Promise.all(
  Array.from({ length: inFlight }, async () => {
    while (performance.now() < end) {
      if (await one()) ok++;
      else errors++;
    }
  }),
);
const elapsed = (performance.now() - start) / 1000;
const stats = (await pool.request({ path: '/sim/stats', method: 'GET' }).then((r) => r.body.json())) as {
  completed: number;
};
await pool.close();
child.kill('SIGTERM');
await once(child, 'exit');
const result = {
  bench: 'sim-throughput',
  profile: 'null',
  requests: ok,
  errors,
  seconds: Number(elapsed.toFixed(2)),
  requestsPerSecond: Math.round(ok / elapsed),
  serverCompleted: stats.completed,
  connections,
  inFlight,
  machine: `${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
