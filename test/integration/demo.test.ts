/**
 * `npm run demo` as a user runs it (a child process; it starts its own simulator): every bundled review analysed,
 * and what the simulator reports adds up with the summary: each refusal or failure it served is one retry there
 * (the demo used to print "rejected: {}" beside "retries: overloaded 1", a 503 counted as a failure).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../support/cli.ts';

test("npm run demo: 330 reviews done, and the simulator's refusals and failures equal the summary's retries", async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/demo.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, stderr);
  assert.match(stderr, /sluice: done — in 330 = out 330 \+ dead letters 0/);
  const retries = /model calls [\d,]+(?: \(retries: (.*)\))?/.exec(stderr)?.[1] ?? '';
  const retried = retries ? retries.split(', ').reduce((sum, part) => sum + Number(part.split(' ').at(-1)), 0) : 0;
  const traffic = /(\d+) refused by its limits.*?, (\d+) failed on purpose/.exec(stdout);
  assert.ok(traffic, stdout);
  assert.equal(
    Number(traffic[1]) + Number(traffic[2]),
    retried,
    `demo says ${traffic[0]}; summary says retries: ${retries || 'none'}`,
  );
});
