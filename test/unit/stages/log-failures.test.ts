import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEnvelope, withFailure, type Envelope } from '../../../src/core/envelope.ts';
import { envelopeSteps } from '../../../src/core/envelope-steps.ts';
import { collect, fromArray } from '../../../src/core/stage.ts';
import { logFailures } from '../../../src/stages/log-failures.ts';

test('one redacted line per failed envelope; every envelope passes on unchanged', async () => {
  const lines: string[] = [];
  const ok = createEnvelope({ id: 'a', value: 1, meta: { kind: 'memory', index: 0 } });
  const failed = withFailure(createEnvelope({ id: 'b', value: 2, meta: { kind: 'memory', index: 1 } }), {
    stage: 'llm-map',
    reason: 'bad_request',
    message: 'key sk-secret refused',
    retriable: false,
    attempts: [],
  });
  const step = logFailures(
    (text) => text.replaceAll('sk-secret', '[redacted]'),
    (text) => lines.push(text),
  );
  const out = (await collect(
    envelopeSteps(step)(fromArray([ok, failed]), { signal: new AbortController().signal }),
  )) as Envelope<unknown>[];
  assert.deepEqual(out, [ok, failed]);
  assert.deepEqual(lines, ['sluice: dead letter b: llm-map/bad_request: key [redacted] refused\n']);
});
