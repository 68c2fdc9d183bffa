import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGoDuration } from '../../../src/llm/go-duration.ts';

test('parses Go durations as OpenAI reset headers carry them', () => {
  const cases: Array<[string, number | undefined]> = [
    ['12ms', 12],
    ['1s', 1000],
    ['6m0s', 360_000],
    ['59.988s', 59_988],
    ['1h2m3.5s', 3_723_500],
    ['0s', 0],
    ['0', 0],
    ['500us', 0.5],
    ['250µs', 0.25],
    ['-1.5s', -1500],
    ['', undefined],
    ['12', undefined],
    ['1x', undefined],
    ['ms', undefined],
    ['1s garbage', undefined],
  ];
  for (const [text, expected] of cases) assert.equal(parseGoDuration(text), expected, text);
});
