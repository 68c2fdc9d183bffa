import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode } from '../../../src/core/errors.ts';
import { MissingFieldWatch } from '../../../src/llm/missing-field-watch.ts';

describe('MissingFieldWatch', () => {
  it('stops (exit 2) when the first N records all lack one same field, naming it and the fields they have', () => {
    const watch = new MissingFieldWatch(3);
    assert.equal(watch.missing(['txt'], { id: 1, text: 'a' }), undefined);
    assert.equal(watch.missing(['txt', 'title'], { id: 2, text: 'b' }), undefined);
    const stop = watch.missing(['txt'], { id: 3, text: 'c', label: 'x' });
    assert.equal(stop?.exitCode, ExitCode.usage);
    assert.equal(stop?.code, 'missing_field');
    assert.match(
      stop?.message ?? '',
      /the prompt uses \{txt\}, which none of the first 3 records has \(they have: id, text, label\)/,
    );
    assert.equal(watch.missing(['txt'], { id: 4 }), undefined, 'once only');
  });

  it('never stops once a record rendered: a field only some records lack is their own fault', () => {
    const watch = new MissingFieldWatch(2);
    assert.equal(watch.missing(['txt'], {}), undefined);
    watch.rendered();
    for (let i = 0; i < 10; i++) assert.equal(watch.missing(['txt'], {}), undefined);
  });

  it('does not stop when the first records lack different fields', () => {
    const watch = new MissingFieldWatch(2);
    assert.equal(watch.missing(['a'], {}), undefined);
    assert.equal(watch.missing(['b'], {}), undefined);
    assert.equal(watch.missing(['a'], {}), undefined);
  });
});
