#!/usr/bin/env node
// `npm run build`: compiles src/ to dist/ (JavaScript + .d.ts) with tsc (tsconfig.build.json), then bundles the
// CLI into dist/cli-bundle/ (scripts/bundle-cli.mjs). The package's `exports` run dist/, the CLI (bin/sluice.js) its
// bundle, so a checkout must be built before use: `npm ci` and `npm install` do it (the `prepare` script, which
// `npm pack` runs too), and `npm test` rebuilds first.
//
//   node scripts/build.mjs            clean build: dist/ is removed first, so no output of a deleted source survives
//   node scripts/build.mjs --changed  `tsc --build`: recompiles only when a source changed since the last build
//                                     (seconds when nothing did); what `npm test` runs
//
// Type errors fail the clean build. With --changed, tsc still writes dist/ when there are type errors; they are
// reported and the build carries on, so a test run of work in progress is not blocked (`npx tsc --noEmit` is the gate).
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { bundleCli } from './bundle-cli.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const changedOnly = process.argv.includes('--changed');
if (!changedOnly) rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '--build', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  if (!changedOnly || !existsSync(new URL('../dist/cli/main.js', import.meta.url))) {
    process.stderr.write(`build: tsc failed (${result.status ?? result.signal})\n`);
    process.exit(1);
  }
  process.stderr.write(
    'build: tsc reported the errors above; dist/ was written anyway (npx tsc --noEmit must be clean before committing)\n',
  );
}
await bundleCli();
