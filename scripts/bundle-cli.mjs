// Bundles the compiled CLI (dist/cli/main.js, from tsc) into dist/cli-bundle/: what bin/sluice.js runs. Node spends
// most of a start-up resolving and reading modules — LangChain alone is hundreds of files: importing
// `@langchain/openai` took 0.55 s and 82 MB of RSS from node_modules, 0.22 s and 61 MB as one bundled file (measured
// with /usr/bin/time on this machine). Code splitting keeps the lazy loading: every `await import(...)` of the
// sources stays a chunk of its own, loaded only when a job needs it.
//
// Left out of the bundle, loaded from node_modules as before: the OpenTelemetry SDK (instrumentation hooks that
// patch `require`; only loaded when telemetry is on), kafkajs (only for kafka:// endpoints) and undici (the undici
// client requires two of its files by path, llm/undici-client.ts). The library (`exports`) is the unbundled dist/.
// dist/cli-bundle/meta.json (esbuild's metafile) says which sources each output file holds: the lazy-loading test
// reads it to tell what a job loaded.
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const OUT = new URL('../dist/cli-bundle/', import.meta.url);

export async function bundleCli() {
  // Chunk names carry a content hash: without this, every rebuild would leave the previous chunks behind.
  rmSync(OUT, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: fileURLToPath(new URL('..', import.meta.url)),
    entryPoints: { sluice: 'dist/cli/main.js' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: fileURLToPath(OUT),
    // Every output file directly in dist/cli-bundle/, two levels below the package root like each compiled module
    // (dist/<dir>/<module>.js): paths the sources take relative to `import.meta.url` (`../../package.json`,
    // `../../bin/sluice.js`) then point at the same files.
    chunkNames: '[name]-[hash]',
    external: ['@opentelemetry/*', 'kafkajs', 'undici'],
    // The bundled CommonJS packages (split2, stream-json, …) call `require` for Node's own modules.
    banner: {
      js: "import { createRequire as sluiceCreateRequire } from 'node:module'; const require = sluiceCreateRequire(import.meta.url);",
    },
    metafile: true,
    logLevel: 'warning',
  });
  writeFileSync(new URL('meta.json', OUT), JSON.stringify(result.metafile));
}
