// Imports the given test files into this one process, where node:test runs them all: the unit tests' quick loop
// (`npm run test:unit`, ≈ 15 s instead of ≈ 1 min, most of which went to starting one process per file). Unit tests
// touch no network, no broker and no child process, so they can share a process; `npm test` with integration tests
// still gives every file its own (scripts/run-tests.mjs).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

for (const file of process.argv.slice(2)) await import(pathToFileURL(resolve(file)).href);
