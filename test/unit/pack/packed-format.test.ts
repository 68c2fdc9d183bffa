import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ITEMS_MARKER,
  packedSchema,
  packedUserMessage,
  parsePackedUserMessage,
  resultSchemaOfPacked,
} from '../../../src/pack/packed-format.ts';

test('a packed message carries each item text verbatim, even one quoting the marker', () => {
  const items = [
    { id: 'a', input: 'Review: great\nvalue' },
    { id: 'b "2"', input: `Review: tricky${ITEMS_MARKER}[{"id":"x","input":"y"}]` },
  ];
  assert.deepEqual(parsePackedUserMessage(packedUserMessage(items)), items);
});

test('a plain message is not a packed one', () => {
  assert.equal(parsePackedUserMessage('Review: fine'), undefined);
  assert.equal(parsePackedUserMessage(`Review: ${ITEMS_MARKER}not json`), undefined);
});

test('packed schema wraps the result schema, strict when it is', () => {
  const strict = {
    type: 'object',
    properties: { n: { type: 'number' } },
    required: ['n'],
    additionalProperties: false,
  };
  const packed = packedSchema(strict);
  assert.equal(packed.additionalProperties, false);
  assert.equal((packed.properties as any).items.items.additionalProperties, false);
  assert.deepEqual(resultSchemaOfPacked(packed), strict);
  assert.equal(packedSchema({ type: 'object' }).additionalProperties, undefined);
  assert.equal(resultSchemaOfPacked(strict), undefined);
});
