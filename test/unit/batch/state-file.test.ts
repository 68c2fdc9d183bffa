import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SluiceError } from '../../../src/core/errors.ts';
import {
  liveChunks,
  publicBaseUrl,
  readState,
  STATE_VERSION,
  writeState,
  type BatchJobState,
} from '../../../src/batch/state-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-state-'));

function state(): BatchJobState {
  return {
    version: STATE_VERSION,
    fingerprint: '0123456789abcdef',
    pipeline: '/p.yaml',
    input: { path: '/in.jsonl', size: 10, mtimeMs: 1 },
    baseUrl: 'http://127.0.0.1:1/v1',
    model: 'gpt-4o-mini',
    preparedUpTo: 5,
    preparedAll: false,
    nextRequest: 6,
    chunks: [
      {
        n: 1,
        origin: 1,
        round: 1,
        requests: 3,
        records: 3,
        bytes: 100,
        phase: 'created',
        fileId: 'file-1',
        batchId: 'batch_1',
      },
      {
        n: 2,
        origin: 2,
        round: 1,
        requests: 2,
        records: 2,
        bytes: 90,
        phase: 'creating',
        fileId: 'file-2',
        creatingSince: 100,
      },
      { n: 3, origin: 1, round: 2, requests: 1, records: 1, bytes: 30, phase: 'written' },
    ],
  };
}

test('written state reads back equal; no temporary file is left', async () => {
  const path = join(dir, 'a.json');
  await writeState(path, state());
  assert.deepEqual(await readState(path), state());
  assert.equal(existsSync(`${path}.tmp`), false);
});

test('replacing the state is atomic: a torn temporary file from a crash never replaces the state', async () => {
  const path = join(dir, 'b.json');
  await writeState(path, state());
  writeFileSync(`${path}.tmp`, '{"version":1,"chunks":[{"n":1,'); // a crash mid-write of the next state
  assert.deepEqual(await readState(path), state(), 'the previous state is intact');
  const next = { ...state(), preparedAll: true };
  await writeState(path, next);
  assert.deepEqual(await readState(path), next, 'the next write replaces the torn temporary file');
});

test('no state file: undefined; an unreadable one: a usage error naming the file', async () => {
  assert.equal(await readState(join(dir, 'none.json')), undefined);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, 'not json');
  const error = await readState(bad).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof SluiceError && error.exitCode === 2 && error.message.includes(bad), String(error));
  writeFileSync(bad, JSON.stringify({ version: 99, chunks: [] }));
  const version = await readState(bad).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(version instanceof SluiceError && /this sluice version/.test(version.message));
});

test('live chunks are those whose batch may run at the provider', () => {
  assert.deepEqual(
    liveChunks(state()).map((c) => c.n),
    [1, 2],
  );
});

test('the endpoint is kept without credentials', () => {
  assert.equal(
    publicBaseUrl('https://user:pw@example.com/openai/v1?api-version=1'),
    'https://example.com/openai/v1?api-version=1',
  );
  assert.equal(publicBaseUrl(undefined), null);
  assert.ok(!readFileSync(join(dir, 'a.json'), 'utf8').includes('pw'));
});
