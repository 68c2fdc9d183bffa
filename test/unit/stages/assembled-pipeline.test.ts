/**
 * The stages and sinks of this directory assembled with Node's own `stream.pipeline`, on a file of every kind of
 * bad input: each line ends in exactly one place and the counts add up.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { RunStats } from '../../../src/core/run-stats.ts';
import { deadLetterSink } from '../../../src/sinks/dead-letter.ts';
import { fileSink } from '../../../src/sinks/file.ts';
import { routingSink } from '../../../src/sinks/routing.ts';
import { fileSource } from '../../../src/sources/file.ts';
import { parseJsonLines } from '../../../src/stages/parse-json.ts';
import { readLines } from '../../../src/stages/read-lines.ts';
import { serializeJson } from '../../../src/stages/serialize-json.ts';

describe('read-lines → parse → serialize → routing(file, dead letters)', () => {
  it('routes every bad line to the dead-letter file with its reason, every good one to the output', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-assembled-'));
    try {
      const input = join(dir, 'bad-input.jsonl');
      const parts = [
        Buffer.from('\ufeff{"id":"r1","text":"good with BOM"}\r\n'), // 1
        Buffer.from('\n'), // 2 empty
        Buffer.from('{"id":"r3","text":"truncated"\n'), // 3 invalid_json
        Buffer.from('   \t\n'), // 4 blank
        Buffer.concat([Buffer.from('{"id":"r5","text":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]), // 5 invalid_utf8
        Buffer.from(`{"id":"r6","text":"${'x'.repeat(5 * 1024 * 1024)}"}\n`), // 6 line_too_long
        Buffer.from('[1,2,3]\n'), // 7 not_an_object
        Buffer.from('{"text":"no id"}\n'), // 8 good, id line:8
        Buffer.from('{"id":"r9","text":"好评，质量很好"}'), // 9 good, no final newline
      ];
      await writeFile(input, Buffer.concat(parts));
      const stats = new RunStats();
      const outPath = join(dir, 'out.jsonl');
      const deadPath = join(dir, 'dead.jsonl');
      // Stages take (source, ctx) with a required ctx; @types/node's pipeline overloads type one argument only.
      const run = pipeline as (...streams: unknown[]) => Promise<void>;
      await run(
        fileSource(input, { highWaterMark: 64 * 1024 }),
        readLines({ maxLineBytes: 1024 * 1024, origin: { kind: 'file', path: 'bad-input.jsonl' }, stats }),
        parseJsonLines({ idField: 'id' }),
        serializeJson(),
        routingSink({ output: fileSink(outPath), deadLetter: deadLetterSink(deadPath), stats }),
      );
      const out = (await readFile(outPath, 'utf8'))
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { id?: string; text: string });
      const dead = (await readFile(deadPath, 'utf8'))
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { id: string; position: string; reason: string; raw: string });
      assert.deepEqual(
        out.map((r) => r.text),
        ['good with BOM', 'no id', '好评，质量很好'],
      );
      assert.deepEqual(
        dead.map((d) => [d.id, d.position, d.reason]),
        [
          ['line:3', 'bad-input.jsonl:3', 'invalid_json'],
          ['line:5', 'bad-input.jsonl:5', 'invalid_utf8'],
          ['line:6', 'bad-input.jsonl:6', 'line_too_long'],
          ['line:7', 'bad-input.jsonl:7', 'not_an_object'],
        ],
      );
      assert.equal(dead[0]?.raw, '{"id":"r3","text":"truncated"');
      assert.equal(dead[2]?.raw.length, 1024);
      assert.equal(stats.recordsIn, 7);
      assert.equal(stats.emptyLines, 2);
      assert.equal(stats.recordsOut, 3);
      assert.equal(stats.deadLetters, 4);
      assert.equal(stats.recordsIn, stats.recordsOut + stats.deadLetters);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
