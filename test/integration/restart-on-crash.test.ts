/**
 * scripts/restart-on-crash.sh, the supervisor docker-compose.yml runs sluice under (no Docker engine is needed to
 * test it: it is a POSIX sh script): it restarts only a crash (exit 1, or an unhandled fatal signal), passes any
 * other exit code through at once (2 and 6 looped under `restart: on-failure`), and forwards SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ROOT } from '../support/cli.ts';

const SCRIPT = join(ROOT, 'scripts/restart-on-crash.sh');
const dir = mkdtempSync(join(tmpdir(), 'sluice-restart-'));

function supervise(
  command: string[],
  onStderr?: (text: string, pid: number) => void,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn('sh', [SCRIPT, ...command], { cwd: dir, env: { ...process.env, RESTART_DELAY_S: '0' } });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
    onStderr?.(stderr, child.pid!);
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

/** A command that counts its runs in `file` and exits with codes[run - 1] (the last code once they run out). */
function exitsWith(file: string, codes: number[]): string[] {
  const script = `n=$(cat ${file} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${file}; set -- ${codes.join(' ')}; shift $(( n <= $# ? n - 1 : $# - 1 )); exit $1`;
  return ['sh', '-c', script];
}

describe('restart-on-crash.sh', () => {
  for (const code of [0, 2, 3, 4, 5, 6, 130, 143]) {
    test(`exit ${code} ends it at once with the same code, no restart`, async () => {
      const runs = join(dir, `runs-${code}`);
      const result = await supervise(exitsWith(runs, [code]));
      assert.equal(result.code, code);
      assert.equal(readFileSync(runs, 'utf8').trim(), '1');
    });
  }

  test('exit 1 and 137 (killed: out of memory) are crashes: restarted until a run ends otherwise', async () => {
    const runs = join(dir, 'runs-crash');
    const result = await supervise(exitsWith(runs, [1, 137, 1, 0]));
    assert.equal(result.code, 0);
    assert.equal(readFileSync(runs, 'utf8').trim(), '4');
    assert.equal(result.stderr.match(/starting again/g)?.length, 3);
  });

  test('SIGTERM reaches the command, which ends gracefully; its exit code (143) ends the script, no restart', async () => {
    const marker = join(dir, 'got-term');
    const command = [
      'node',
      '-e',
      `process.on('SIGTERM', () => { require('fs').writeFileSync(${JSON.stringify(marker)}, 'yes'); process.exit(143); }); console.error('ready'); setInterval(() => {}, 1000);`,
    ];
    // SIGTERM to the supervisor once the command runs and has its handler (it says "ready" on stderr).
    let signalled = false;
    const running = supervise(command, (text, pid) => {
      if (!signalled && text.includes('ready')) {
        signalled = true;
        process.kill(pid, 'SIGTERM');
      }
    });
    const result = await running;
    assert.equal(result.code, 143, result.stderr);
    assert.equal(readFileSync(marker, 'utf8'), 'yes');
    assert.doesNotMatch(result.stderr, /starting again/);
  });
});
