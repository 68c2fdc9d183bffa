import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { jobHeapPlan, YOUNG_GENERATION_CAP_BYTES } from '../../../src/cli/heap-tuning.ts';

const execFileAsync = promisify(execFile);

const EVERYTHING = { flags: ['--liftoff-only', '--heap-growing-percent=40'], capYoungGeneration: true };

test('a job sets its heap and WebAssembly flags, and caps the young generation, when the user gave none', () => {
  assert.deepEqual(jobHeapPlan(undefined, []), EVERYTHING);
  assert.deepEqual(jobHeapPlan('--enable-source-maps --trace-warnings', ['--import', 'tsx']), EVERYTHING);
});

test('any V8 heap flag of the user, in NODE_OPTIONS or on the node command line, in either spelling, wins', () => {
  const wasmOnly = { flags: ['--liftoff-only'], capYoungGeneration: false };
  assert.deepEqual(jobHeapPlan('--max-old-space-size=160', []), wasmOnly);
  assert.deepEqual(jobHeapPlan(undefined, ['--max_semi_space_size=8']), wasmOnly);
  assert.deepEqual(jobHeapPlan('--heap-growing-percent=200', []), wasmOnly);
  assert.deepEqual(jobHeapPlan(undefined, ['--optimize-for-size']), wasmOnly);
});

test('a WebAssembly compiler flag of the user wins over --liftoff-only', () => {
  const heapOnly = { flags: ['--heap-growing-percent=40'], capYoungGeneration: true };
  assert.deepEqual(jobHeapPlan('--no-liftoff', []), heapOnly);
  assert.deepEqual(jobHeapPlan(undefined, ['--wasm_tier_up']), heapOnly);
  assert.deepEqual(jobHeapPlan('--no-wasm-dynamic-tiering --max-old-space-size=300', []), {
    flags: [],
    capYoungGeneration: false,
  });
});

/**
 * In a child process: allocate objects that survive a few scavenges (as the calls in flight do), yielding to the
 * event loop after every ≈ 100 KB as a job does, and print the young generation's final size (bytes).
 */
async function youngGenerationAfterLoad(tune: boolean): Promise<number> {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { tuneHeapForJob } from ${JSON.stringify(fileURLToPath(new URL('../../../src/cli/heap-tuning.ts', import.meta.url)))};
    if (${tune}) tuneHeapForJob({}, []);
    let live = [];
    for (let chunk = 0; chunk < 1_500; chunk++) {
      for (let i = 0; i < 2_000; i++) {
        live.push({ i, text: 'record ' + i });
        if (live.length > 150_000) live = [];
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    process.stdout.write(String(getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size));
  `;
  const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
  return Number(stdout);
}

test('the young generation grows to its cap and holds there (V8 alone grows it further under the same load)', async () => {
  const untuned = await youngGenerationAfterLoad(false);
  const tuned = await youngGenerationAfterLoad(true);
  assert.ok(untuned > YOUNG_GENERATION_CAP_BYTES, `without the tuning V8 grew it to ${untuned} bytes`);
  assert.equal(tuned, YOUNG_GENERATION_CAP_BYTES);
});
