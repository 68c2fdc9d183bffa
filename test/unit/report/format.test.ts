import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCount } from '../../../src/report/format.ts';

test('formatCount prints what toLocaleString("en-US") prints', () => {
  const values = [
    0,
    1,
    12,
    999,
    1000,
    1234,
    99_999,
    100_000,
    1_234_567,
    1_000_000_000,
    289_447,
    -1234,
    -0,
    -0.0001,
    0.5,
    12.25,
    1234.5678,
    0.0004,
    2.71834,
    1e20,
    Infinity,
    NaN,
  ];
  for (const value of values) assert.equal(formatCount(value), value.toLocaleString('en-US'), String(value));
});
