#!/usr/bin/env node
// `npm test`: builds dist/ (incrementally: the CLI tests run bin/sluice.js, i.e. the compiled code, which must be
// the code under test), then runs every test/**/*.test.ts file with node's own test runner (through tsx).
// Node 20's runner does not expand globs, so the files are listed here. Extra arguments are passed through
// (e.g. `npm test -- test/unit`), and narrow the run to files under the given paths. A run of unit tests only
// (`npm run test:unit`) runs them in one process (scripts/unit-tests-in-process.mjs); any other run gives each file
// its own process.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { canRunBroker, startBroker } from './kafka/broker.mjs';

const root = new URL('..', import.meta.url).pathname;
const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--changed'], {
  cwd: root,
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(1);
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('-'));

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const files = findTests(join(root, 'test')).filter((f) => filters.length === 0 || filters.some((p) => f.startsWith(p)));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

// Kafka tests need a real broker: start one for the whole run (unless KAFKA_BROKERS names one) and stop it at the end.
// In CI a missing Java/Maven is an error; elsewhere the Kafka tests skip themselves (test/support/kafka-env.ts).
let broker;
if (files.some((f) => f.startsWith('test/integration/') && f.includes('kafka')) && !process.env.KAFKA_BROKERS) {
  if (canRunBroker()) {
    broker = await startBroker({ log: (line) => console.error(line) });
    process.env.KAFKA_BROKERS = broker.brokers;
  } else if (process.env.CI === 'true') {
    console.error('run-tests: CI=true but Java 17+ and Maven are missing: the Kafka tests cannot run');
    process.exit(1);
  } else {
    console.error('run-tests: no Java/Maven and no KAFKA_BROKERS: Kafka tests will be skipped');
  }
}
const unitOnly = files.every((f) => f.startsWith('test/unit/'));
const runner = unitOnly ? [join(root, 'scripts/unit-tests-in-process.mjs')] : ['--test'];
const child = spawn(process.execPath, ['--import', 'tsx', ...passThrough, ...runner, ...files], {
  cwd: root,
  stdio: 'inherit',
});
const finish = async (code) => {
  await broker?.stop();
  process.exit(code);
};
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => child.kill(signal));
child.on('exit', (code, signal) => finish(code ?? (signal ? 1 : 0)));
