import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JOB_HEAP_FLAGS, jobHeapFlags } from '../../../src/cli/heap-tuning.ts';

test('a job sets its heap-growing flags when the user gave none', () => {
  assert.deepEqual(jobHeapFlags(undefined, []), JOB_HEAP_FLAGS);
  assert.deepEqual(jobHeapFlags('--enable-source-maps --trace-warnings', ['--import', 'tsx']), JOB_HEAP_FLAGS);
});

test('any V8 heap flag of the user, in NODE_OPTIONS or on the node command line, in either spelling, wins', () => {
  assert.deepEqual(jobHeapFlags('--max-old-space-size=160', []), []);
  assert.deepEqual(jobHeapFlags(undefined, ['--max_semi_space_size=8']), []);
  assert.deepEqual(jobHeapFlags('--heap-growing-percent=200', []), []);
  assert.deepEqual(jobHeapFlags(undefined, ['--optimize-for-size']), []);
});
