import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createEnvelope } from '../../../src/core/envelope.ts';
import { okValue } from '../../support/ok-value.ts';
import { RunStats } from '../../../src/core/run-stats.ts';
import { collect, fromArray } from '../../../src/core/stage.ts';
import { readDoneRecords, repairTornTail, takeBackEndpointFailures } from '../../../src/resume/done-records.ts';
import { skipDone } from '../../../src/resume/skip-done.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-resume-'));

describe('repairTornTail', () => {
  test('truncates a partial last line and reports the bytes removed', async () => {
    const path = join(dir, 'torn.jsonl');
    writeFileSync(path, '{"id":"a"}\n{"id":"b"}\n{"id":"c","resu');
    assert.equal(await repairTornTail(path), '{"id":"c","resu'.length);
    assert.equal(readFileSync(path, 'utf8'), '{"id":"a"}\n{"id":"b"}\n');
  });
  test('leaves a whole file alone, and a missing file is fine', async () => {
    const path = join(dir, 'whole.jsonl');
    writeFileSync(path, '{"id":"a"}\n');
    assert.equal(await repairTornTail(path), 0);
    assert.equal(readFileSync(path, 'utf8'), '{"id":"a"}\n');
    assert.equal(await repairTornTail(join(dir, 'absent.jsonl')), 0);
  });
  test('a file that is one torn line becomes empty', async () => {
    const path = join(dir, 'one.jsonl');
    writeFileSync(path, 'x'.repeat(200_000));
    assert.equal(await repairTornTail(path), 200_000);
    assert.equal(readFileSync(path, 'utf8'), '');
  });
});

describe('readDoneRecords', () => {
  test('collects ids whose fingerprint matches, across output and dead-letter files', async () => {
    const out = join(dir, 'out.jsonl');
    const dead = join(dir, 'dead.jsonl');
    writeFileSync(
      out,
      `${['{"id":"1","fingerprint":"f"}', '{"id":"2","fingerprint":"old"}', 'garbage', '', '{"id":"3","fingerprint":"f"}'].join('\n')}\n`,
    );
    writeFileSync(dead, '{"id":"line:9","fingerprint":"f","reason":"invalid_json"}\n');
    const done = await readDoneRecords([out, dead, join(dir, 'none.jsonl')], 'f');
    assert.deepEqual([...done.ids].sort(), [
      ['1', 1],
      ['3', 1],
      ['line:9', 1],
    ]);
    assert.equal(done.count, 3);
    assert.equal(done.staleLines, 1);
    assert.equal(done.unreadableLines, 1);
  });
});

describe('takeBackEndpointFailures', () => {
  const letter = (id: string, last: { reason: string; error: string }, fingerprint = 'f') =>
    JSON.stringify({
      id,
      reason: last.reason,
      attempts: [
        { at: 't', reason: 'server_error', error: '500' },
        { at: 't', ...last },
      ],
      fingerprint,
    });

  test('dead letters whose last attempt failed at the endpoint leave the file and are not done; the rest stay, byte for byte', async () => {
    const path = join(dir, 'endpoint-dead.jsonl');
    const keptLines = [
      letter('bad-json', { reason: 'invalid_output', error: 'not JSON' }),
      letter('timeout', { reason: 'timeout', error: 'timed out' }),
      letter('old-401', { reason: 'unauthorized', error: '401' }, 'old'),
      '{"id":"line:3","reason":"invalid_json","attempts":[],"fingerprint":"f"}',
    ];
    const takenLines = [
      letter('401', { reason: 'unauthorized', error: '401 Incorrect API key' }),
      letter('404', { reason: 'not_found', error: '404 Invalid URL (POST /v2/chat/completions)' }),
      letter('dns', { reason: 'network', error: 'network error: fetch failed: getaddrinfo ENOTFOUND api.example' }),
      letter('refused', { reason: 'network', error: 'connect ECONNREFUSED 127.0.0.1:9' }),
    ];
    writeFileSync(
      path,
      `${[takenLines[0], keptLines[0], takenLines[1], keptLines[1], takenLines[2], keptLines[2], takenLines[3], keptLines[3]].join('\n')}\n`,
    );
    const result = await takeBackEndpointFailures(path, 'f');
    assert.equal(result.taken, 4);
    assert.deepEqual([...result.ids.keys()].sort(), ['bad-json', 'line:3', 'timeout']);
    assert.equal(result.staleLines, 1);
    assert.equal(readFileSync(path, 'utf8'), `${keptLines.join('\n')}\n`);
  });

  test('a file of endpoint failures only is removed; a file without any is left untouched', async () => {
    const only = join(dir, 'only-endpoint.jsonl');
    writeFileSync(only, `${letter('a', { reason: 'forbidden', error: '403' })}\n`);
    assert.equal((await takeBackEndpointFailures(only, 'f')).taken, 1);
    assert.equal(existsSync(only), false);
    const none = join(dir, 'no-endpoint.jsonl');
    const text = `${letter('b', { reason: 'network', error: 'socket hang up' })}\n`;
    writeFileSync(none, text);
    assert.equal((await takeBackEndpointFailures(none, 'f')).taken, 0);
    assert.equal(readFileSync(none, 'utf8'), text);
  });
});

describe('skipDone', () => {
  test('drops and acks finished records, counts them, passes the rest in order', async () => {
    const acked: string[] = [];
    const stats = new RunStats();
    const envelopes = ['a', 'b', 'c', 'd'].map((id, index) =>
      createEnvelope({ id, value: { id }, meta: { kind: 'memory', index }, ack: () => acked.push(id) }),
    );
    const out = await collect(
      skipDone<{ id: string }>({ output: new Map([['b', 1]]), deadLetters: new Map([['d', 1]]) }, stats)(
        fromArray(envelopes),
        { signal: new AbortController().signal },
      ),
    );
    assert.deepEqual(
      out.map((e) => e.id),
      ['a', 'c'],
    );
    assert.deepEqual(acked, ['b', 'd']);
    assert.equal(stats.resumedSkipped, 2);
    assert.equal(stats.resumedDeadLetters, 1, 'd was finished as a dead letter: still not in the output');
  });

  test('a duplicate id is skipped only as many times as it was finished', async () => {
    const stats = new RunStats();
    // Input ids dup, x, dup, dup; the previous run finished "dup" twice (its first two records) and nothing else.
    const envelopes = ['dup', 'x', 'dup', 'dup'].map((id, index) =>
      createEnvelope({ id, value: { id, index }, meta: { kind: 'memory', index }, ack: () => undefined }),
    );
    const out = await collect(
      skipDone<{ id: string; index: number }>({ output: new Map([['dup', 2]]), deadLetters: new Map() }, stats)(
        fromArray(envelopes),
        { signal: new AbortController().signal },
      ),
    );
    assert.deepEqual(
      out.map((e) => okValue(e).index),
      [1, 3],
    );
    assert.equal(stats.resumedSkipped, 2);
  });
});
