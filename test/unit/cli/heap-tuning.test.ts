import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jobHeapPlan } from '../../../src/cli/heap-tuning.ts';

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
