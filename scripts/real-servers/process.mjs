// Process plumbing shared by the real-server launchers: free ports, starting a server with its log in a temp
// directory, readiness polling, stopping by pid.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A port free on 127.0.0.1 right now. */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts `command args` with stdout and stderr in `<temp dir>/server.log`, then polls `readyUrl(port)` until
 * `ready(response)`; rejects (after stopping it) with the log's tail when it exits or `timeoutMs` passes.
 * `files(dir)` may write config files into the temp directory first and return extra arguments.
 * Resolves with the child's pid, the port and `stop()`: SIGTERM by pid (SIGKILL after 10 s), then the temp
 * directory is removed.
 */
export async function startServerProcess({
  name,
  command,
  args,
  env = process.env,
  files,
  readyUrl,
  ready,
  timeoutMs,
}) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `sluice-${name}-`));
  const extra = files ? files(dir) : [];
  const out = openSync(join(dir, 'server.log'), 'a');
  const child = spawn(command, [...args(port), ...extra], { stdio: ['ignore', out, out], env });
  closeSync(out);
  const stop = async () => {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(child, readyUrl(port), timeoutMs, ready);
  } catch (error) {
    const tail = readFileSync(join(dir, 'server.log'), 'utf8').split('\n').slice(-30).join('\n');
    await stop();
    throw new Error(`${name} did not start: ${error.message}\n${tail}`);
  }
  return { pid: child.pid, port, stop };
}

/** Polls `url` until `ready(response)` or the child exits or `timeoutMs` passes (then rejects). */
async function waitUntilReady(child, url, timeoutMs, ready) {
  const deadline = Date.now() + timeoutMs;
  let exited;
  child.once('exit', (code, signal) => {
    exited = `exited with ${code ?? signal}`;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(exited);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (await ready(response)) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`not ready after ${timeoutMs} ms`);
}

/** SIGTERM by pid, SIGKILL after `graceMs`; resolves once the process is gone. */
async function stopProcess(child, graceMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}
