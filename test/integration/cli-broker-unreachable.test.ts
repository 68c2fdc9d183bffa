/**
 * A Kafka broker that cannot be reached (a closed port on loopback; no broker needed): the CLI as a child process
 * ends with one line naming the flag, the broker and the cause, exit 1, no kafkajs log lines and no stack trace —
 * and it leaves every file as it was (it used to leave an empty output file behind).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { ROOT, runCli } from '../support/cli.ts';

const PIPELINE = join(ROOT, 'pipelines/review-insights.yaml');
const dir = mkdtempSync(join(tmpdir(), 'sluice-broker-unreachable-'));
const env = { SLUICE_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_API_KEY: 'sk-test-broker-unreachable-0' };
let closedPort: number;

before(async () => {
  // A port that was free a moment ago and now refuses connections.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closedPort = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function assertOneClearLine(stderr: string, flag: string): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, stderr);
  assert.match(
    lines[0]!,
    new RegExp(
      `^sluice: ${flag} kafka://127\\.0\\.0\\.1:${closedPort}/reviews: .*ECONNREFUSED.* nothing was read or written$`,
    ),
  );
}

describe('Kafka broker unreachable (CLI)', () => {
  test('-i on a closed port: one line, exit 1, no output file created', async () => {
    const output = join(dir, 'out.jsonl');
    const run = await runCli(
      ['run', PIPELINE, '-i', `kafka://127.0.0.1:${closedPort}/reviews?group=g`, '-o', output, '--no-progress'],
      { env },
    );
    assert.equal(run.code, 1, run.stderr);
    assertOneClearLine(run.stderr, '-i');
    assert.equal(existsSync(output), false, 'no empty output file left behind');
  });

  test('-o on a closed port: one line, exit 1, and the earlier dead-letter file is untouched', async () => {
    const input = join(dir, 'in.jsonl');
    const deadLetters = join(dir, 'kept.dead-letters.jsonl');
    writeFileSync(input, '{"id":"a","text":"fine"}\n');
    writeFileSync(deadLetters, '{"id":"old","reason":"invalid_json"}\n');
    const run = await runCli(
      [
        'run',
        PIPELINE,
        '-i',
        input,
        '-o',
        `kafka://127.0.0.1:${closedPort}/reviews`,
        '--dead-letter',
        deadLetters,
        '--no-progress',
      ],
      { env },
    );
    assert.equal(run.code, 1, run.stderr);
    assertOneClearLine(run.stderr, '-o');
    assert.equal(readFileSync(deadLetters, 'utf8'), '{"id":"old","reason":"invalid_json"}\n');
  });
});
