/**
 * `sluice run … | head -3`: once stdout is closed no new model call starts and nothing more is read. A process
 * cannot see that a pipe's reader left until it writes to it, so the bound is: the calls in flight at the first
 * write that fails are cancelled, and none starts after it. Measured with one call at a time (-c 1) and a slow
 * fourth record, so "after" is unambiguous: the write of record 4 fails, record 5 (already started when record 4
 * finished) is cancelled, record 6 never starts. The CLI as a child process under bash, the real simulator.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startSimulator, type Simulator } from '../../src/sim/index.ts';
import { ROOT, SLUICE_BIN } from '../support/cli.ts';
import { reviewRecords, toJsonl } from '../support/review-records.ts';

const PIPELINE = join(ROOT, 'pipelines/review-insights.yaml');
const dir = mkdtempSync(join(tmpdir(), 'sluice-head-'));
let sim: Simulator;

before(async () => {
  sim = await startSimulator({ profile: 'null', seed: 8 });
});
after(() => sim.close());

test('| head -3: the write that finds stdout closed stops the job; no call starts after it, exit 0', async () => {
  // Records 4 and up take 2 s each (real time): head has long exited when record 4 is written.
  const records = reviewRecords(40, 'h').map((r, i) =>
    i >= 3 ? { ...r, text: `${r.text} [[sim:latency_ms=2000]]` } : r,
  );
  const input = join(dir, 'in.jsonl');
  writeFileSync(input, toJsonl(records));
  const errPath = join(dir, 'err.log');
  const script = `"${process.execPath}" "${SLUICE_BIN}" run "${PIPELINE}" -i "${input}" -c 1 --no-progress 2>"${errPath}" | head -3; echo "status=\${PIPESTATUS[0]}"`;
  const child = spawn('bash', ['-c', script], {
    env: { ...process.env, SLUICE_BASE_URL: sim.url, OPENAI_API_KEY: 'sk-test-head-0000' },
    cwd: dir,
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  await new Promise((resolve) => child.on('close', resolve));
  const lines = stdout.trim().split('\n');
  assert.equal(lines.at(-1), 'status=0', readFileSync(errPath, 'utf8'));
  assert.deepEqual(
    lines.slice(0, 3).map((l) => (JSON.parse(l) as { id: string }).id),
    ['h-0', 'h-1', 'h-2'],
  );
  const stats = sim.stats();
  // Records 1–4 reached the simulator, and 5 if its request got there before the write of 4 failed (it is then
  // cancelled); 6 never does.
  assert.ok(
    stats.received >= 4 && stats.received <= 5,
    `${stats.received} calls for 3 lines read\n${readFileSync(errPath, 'utf8')}`,
  );
  assert.match(readFileSync(errPath, 'utf8'), /stopped \(stdout closed by the reader\)/);
});
