#!/usr/bin/env node
// Entry point of the `sluice` command: runs the bundled CLI (dist/cli-bundle/, built by `npm run build`, which
// `npm ci`, `npm install` and `npm test` run; the published package ships it; scripts/bundle-cli.mjs says why).
try {
  await import('../dist/cli-bundle/sluice.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('/dist/cli-bundle/sluice.js'))
    throw error;
  process.stderr.write(
    'sluice: dist/ is missing — this is a source checkout: run `npm run build` (npm ci and npm install run it)\n',
  );
  process.exitCode = 1;
}
