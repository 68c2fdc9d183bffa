import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../../src/core/errors.ts';
import { parseDuration } from '../../../src/batch/choose-mode.ts';
import { batchPricesFor } from '../../../src/config/prices.ts';
import { ModelSchema } from '../../../src/config/pipeline-schema.ts';

test('deadlines: seconds, minutes, hours, days, combined', () => {
  assert.equal(parseDuration('90s'), 90);
  assert.equal(parseDuration('30m'), 1800);
  assert.equal(parseDuration('1h30m'), 5400);
  assert.equal(parseDuration('1.5h'), 5400);
  assert.equal(parseDuration('2d'), 172_800);
  for (const bad of ['', '30', 'm', '1h 30m', '10x']) assert.throws(() => parseDuration(bad), ConfigError, bad);
});

test('batch prices: model.prices.batch when set, half the online price for OpenAI models, the online price otherwise', () => {
  assert.deepEqual(batchPricesFor(ModelSchema.parse({ name: 'gpt-4o-mini' })), { inputPer1M: 0.075, outputPer1M: 0.3 });
  assert.deepEqual(
    batchPricesFor(ModelSchema.parse({ name: 'gpt-4o-mini', prices: { inputPer1M: 1, outputPer1M: 2 } })),
    { inputPer1M: 0.5, outputPer1M: 1 },
  );
  const own = { inputPer1M: 0.01, outputPer1M: 0.02 };
  assert.deepEqual(
    batchPricesFor(ModelSchema.parse({ name: 'gpt-4o-mini', prices: { inputPer1M: 1, outputPer1M: 2, batch: own } })),
    own,
  );
  assert.deepEqual(
    batchPricesFor(ModelSchema.parse({ name: 'qwen2.5:7b', prices: { inputPer1M: 1, outputPer1M: 2 } })),
    { inputPer1M: 1, outputPer1M: 2 },
  );
  assert.equal(batchPricesFor(ModelSchema.parse({ name: 'qwen2.5:7b' })), undefined);
});
