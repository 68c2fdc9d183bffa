// `node --import ./test/support/record-loads.mjs …`: appends the URL of every module the ESM loader loads to the file
// named by SLUICE_RECORD_LOADS (CommonJS packages are seen at their entry, when ESM code imports them).
import { register } from 'node:module';

const out = process.env.SLUICE_RECORD_LOADS;
if (out) {
  const hooks = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) { appendFileSync(${JSON.stringify(out)}, url + '\\n'); return next(url, context); }`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
}
