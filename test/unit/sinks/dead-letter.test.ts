import assert from 'node:assert/strict';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEnvelope, withFailure, type Envelope, type Failure } from '../../../src/core/envelope.ts';
import { fromArray } from '../../../src/core/stage.ts';
import { deadLetterRecord, deadLetterSink } from '../../../src/sinks/dead-letter.ts';

const ctx = { signal: new AbortController().signal };
const at = new Date('2026-01-02T03:04:05.000Z');
let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-dead-letter-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const invalidJson: Failure = {
  stage: 'parse-json',
  reason: 'invalid_json',
  message: 'invalid JSON: Unexpected end',
  retriable: false,
  attempts: [],
};

function failedLine(line: number, raw: string, failure: Failure = invalidJson, ack?: () => void): Envelope<unknown> {
  return withFailure(
    createEnvelope<unknown>({
      id: `line:${line}`,
      value: raw,
      raw,
      meta: { kind: 'file', path: 'reviews.jsonl', line },
      ack,
    }),
    failure,
  );
}

describe('deadLetterRecord', () => {
  it('carries id, position, source, raw line, stage, reason, message, attempts and time', () => {
    assert.deepEqual(deadLetterRecord(failedLine(12, '{"id":'), at), {
      id: 'line:12',
      position: 'reviews.jsonl:12',
      source: { kind: 'file', path: 'reviews.jsonl', line: 12 },
      raw: '{"id":',
      stage: 'parse-json',
      reason: 'invalid_json',
      message: 'invalid JSON: Unexpected end',
      retriable: false,
      attempts: [],
      failedAt: '2026-01-02T03:04:05.000Z',
    });
  });

  it('falls back to the value when there is no raw line, and keeps rawAnswer and attempts', () => {
    const failure: Failure = {
      stage: 'llm-map',
      reason: 'invalid_output',
      message: 'answer did not match the schema',
      retriable: false,
      attempts: [
        {
          at: '2026-01-02T03:04:00.000Z',
          status: 200,
          reason: 'invalid_output',
          error: 'sentiment: required',
          latencyMs: 812,
        },
      ],
      rawAnswer: '{"sentiment":',
    };
    const envelope = withFailure(
      createEnvelope({
        id: 'r-7',
        value: { id: 'r-7', text: 'meh' },
        meta: { kind: 'kafka', topic: 'reviews', partition: 2, offset: '1042' },
      }),
      failure,
    );
    const record = deadLetterRecord(envelope, at);
    assert.deepEqual(record.raw, { id: 'r-7', text: 'meh' });
    assert.equal(record.position, 'reviews/2@1042');
    assert.equal(record.rawAnswer, '{"sentiment":');
    assert.deepEqual(record.attempts, failure.attempts);
  });

  it('refuses an envelope that did not fail', () => {
    assert.throws(
      () => deadLetterRecord(createEnvelope({ id: 'ok', value: 1, meta: { kind: 'memory', index: 0 } })),
      /no failure/,
    );
  });
});

describe('deadLetterSink', () => {
  it('writes one JSON line per failed record and acks each once after writing', async () => {
    const path = join(dir, 'dead.jsonl');
    const acked: number[] = [];
    const input = [1, 4, 9].map((line) => failedLine(line, `bad ${line}`, invalidJson, () => acked.push(line)));
    await deadLetterSink(path, { now: () => at, batchSize: 2 })(fromArray(input), ctx);
    const records = (await readFile(path, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      records.map((r) => [r.id, r.position, r.raw, r.reason]),
      [
        ['line:1', 'reviews.jsonl:1', 'bad 1', 'invalid_json'],
        ['line:4', 'reviews.jsonl:4', 'bad 4', 'invalid_json'],
        ['line:9', 'reviews.jsonl:9', 'bad 9', 'invalid_json'],
      ],
    );
    assert.deepEqual(acked, [1, 4, 9]);
  });

  it('adds the configured fields to every record', async () => {
    const path = join(dir, 'fields.jsonl');
    await deadLetterSink(path, { now: () => at, fields: { fingerprint: 'abc123' } })(
      fromArray([failedLine(2, 'x'), failedLine(3, 'y')]),
      ctx,
    );
    const records = (await readFile(path, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      records.map((r) => [r.id, r.fingerprint]),
      [
        ['line:2', 'abc123'],
        ['line:3', 'abc123'],
      ],
    );
  });

  it('creates no file when nothing failed', async () => {
    const path = join(dir, 'never.jsonl');
    await deadLetterSink(path)(fromArray([]), ctx);
    await assert.rejects(access(path), /ENOENT/);
  });
});
