/** `sluice sim` as a child process: prints its URL on stdout, serves, stops cleanly on SIGTERM / SIGINT. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));

function startCli(args: string[]) {
  const child = spawn(process.execPath, [bin, 'sim', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      if (stdout.includes('\n')) resolve(stdout.split('\n')[0] ?? '');
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  return { child, url, output: () => ({ stdout, stderr }) };
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`sluice sim prints its base URL, serves the profile, and exits 0 on ${signal}`, async () => {
    const cli = startCli([
      '--profile',
      'saas-tier1',
      '--time-scale',
      '50',
      '--set',
      'rpm=1000',
      '--set',
      'quotaRequests=1',
    ]);
    const url = await cli.url;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const post = () =>
      fetch(`${url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
      });
    const first = await post();
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-ratelimit-limit-requests'), '50000', 'rpm=1000 × time scale 50');
    const second = await post();
    assert.equal(second.status, 429);
    assert.equal(((await second.json()) as { error: { code: string } }).error.code, 'insufficient_quota');
    cli.child.kill(signal);
    const [code] = await once(cli.child, 'exit');
    assert.equal(code, 0);
    assert.equal(cli.output().stdout, `${url}\n`, 'stdout carries only the URL');
    assert.match(cli.output().stderr, /listening on/);
  });
}

test('sluice sim with an unknown profile or parameter exits 2 with a message', async () => {
  for (const args of [
    ['--profile', 'nope'],
    ['--set', 'nonsense=1'],
    ['--time-scale', '0'],
  ]) {
    const child = spawn(process.execPath, [bin, 'sim', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const [code] = await once(child, 'exit');
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
    assert.match(stderr, /sluice: /);
  }
});
