// `node --import ./test/support/record-loads.mjs …`: records, in the file named by SLUICE_RECORD_LOADS, the URL of
// every ES module the loader loads and, at exit, the path of every CommonJS module in require's cache (modules
// required through createRequire included).
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const out = process.env.SLUICE_RECORD_LOADS;
if (out) {
  const hooks = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) { appendFileSync(${JSON.stringify(out)}, url + '\\n'); return next(url, context); }`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
  const require = createRequire(import.meta.url);
  process.on('exit', () =>
    appendFileSync(
      out,
      Object.keys(require.cache)
        .map((path) => `file://${path}\n`)
        .join(''),
    ),
  );
}
