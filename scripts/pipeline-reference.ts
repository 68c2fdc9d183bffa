/**
 * `npm run docs:reference`: writes the pipeline reference — README.md's table between `<!-- pipeline-reference:start -->`
 * and `<!-- pipeline-reference:end -->` — from the pipeline schema (src/config/pipeline-schema.ts), its one source.
 * `--check` writes nothing and exits 1 when README's table differs (test/unit/config/pipeline-reference.test.ts
 * checks the same).
 *
 * The schema is read through zod's public JSON Schema export (`z.toJSONSchema`, `io: 'input'`: what a pipeline
 * file may write), one row per field, in the schema's order:
 * - a field with a description (`.describe` / `.meta`) is a row: field | default | meaning;
 * - an object's fields are visited too (`model.prices` and `model.prices.batch` are both rows); a field without a
 *   description is covered by its nearest described ancestor's row, and is an error when it has none;
 * - default: the schema's `default`, else the `defaultText` metadata (a default decided at run time), else
 *   `required` when a file must give the field, else `—`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { PipelineSchema } from '../src/config/pipeline-schema.ts';

export const START_MARKER = '<!-- pipeline-reference:start -->';
export const END_MARKER = '<!-- pipeline-reference:end -->';
const README = new URL('../README.md', import.meta.url);

export interface ReferenceRow {
  readonly field: string;
  readonly default: string;
  readonly meaning: string;
}

interface JsonSchemaNode {
  readonly description?: string;
  readonly default?: unknown;
  readonly defaultText?: string;
  readonly properties?: Readonly<Record<string, JsonSchemaNode>>;
  readonly required?: readonly string[];
}

/** The rows of `schema`'s reference (an object schema). Throws for a field no row describes. */
export function referenceRows(schema: z.ZodType = PipelineSchema): ReferenceRow[] {
  const root = z.toJSONSchema(schema, { io: 'input' }) as JsonSchemaNode;
  const rows: ReferenceRow[] = [];
  const visit = (node: JsonSchemaNode, prefix: string, described: boolean) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const field = `${prefix}${key}`;
      if (child.description !== undefined) {
        rows.push({
          field: `\`${field}\``,
          default: defaultCell(child, node.required?.includes(key) ?? false),
          meaning: child.description,
        });
      } else if (!child.properties && !described) {
        throw new Error(`${field} has no description: add .describe(...) to it in src/config/pipeline-schema.ts`);
      }
      if (child.properties) visit(child, `${field}.`, described || child.description !== undefined);
    }
  };
  visit(root, '', false);
  return rows;
}

function defaultCell(node: JsonSchemaNode, required: boolean): string {
  if ('default' in node) return formatDefault(node.default);
  if (node.defaultText !== undefined) return node.defaultText;
  return required ? 'required' : '—';
}

function formatDefault(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === '') return "`''`";
  return typeof value === 'string' ? `\`${value}\`` : `\`${JSON.stringify(value)}\``;
}

/** The reference as a Markdown table (no markers). */
export function renderReference(rows: readonly ReferenceRow[] = referenceRows()): string {
  const cell = (text: string) => text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
  return [
    '| field | default | meaning |',
    '|---|---|---|',
    ...rows.map((r) => `| ${cell(r.field)} | ${cell(r.default)} | ${cell(r.meaning)} |`),
  ].join('\n');
}

/** What stands between the markers of `readme` now. Throws when the markers are missing or out of order. */
export function currentReference(readme: string): string {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start < 0 || end < start)
    throw new Error(`README.md needs ${START_MARKER} … ${END_MARKER} around the pipeline reference`);
  return readme.slice(start + START_MARKER.length, end).trim();
}

/** `readme` with `table` between the markers. */
export function withReference(readme: string, table: string): string {
  currentReference(readme);
  const start = readme.indexOf(START_MARKER) + START_MARKER.length;
  return `${readme.slice(0, start)}\n${table}\n${readme.slice(readme.indexOf(END_MARKER))}`;
}

function main(args: readonly string[]): number {
  const readme = readFileSync(README, 'utf8');
  const table = renderReference();
  if (currentReference(readme) === table) {
    process.stdout.write('README.md: the pipeline reference is up to date\n');
    return 0;
  }
  if (args.includes('--check')) {
    process.stderr.write(
      'README.md: the pipeline reference differs from src/config/pipeline-schema.ts: run `npm run docs:reference`\n',
    );
    return 1;
  }
  writeFileSync(README, withReference(readme, table));
  process.stdout.write('README.md: the pipeline reference was rewritten from src/config/pipeline-schema.ts\n');
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  process.exitCode = main(process.argv.slice(2));
