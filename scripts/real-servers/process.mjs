// Process plumbing shared by the real-server launchers: free ports, readiness polling, stopping by pid.
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A port free on 127.0.0.1 right now. */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Polls `url` until `ready(response)` or the child exits or `timeoutMs` passes (then rejects). */
export async function waitUntilReady(child, url, timeoutMs, ready) {
  const deadline = Date.now() + timeoutMs;
  let exited;
  child.once('exit', (code, signal) => {
    exited = `exited with ${code ?? signal}`;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(exited);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      const ok = await ready(response);
      if (ok) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`not ready after ${timeoutMs} ms`);
}

/** SIGTERM by pid, SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopProcess(child, graceMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}
