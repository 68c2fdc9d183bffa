import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatLogEntry, headersToStrings } from '../../../src/sources/kafka-client.ts';

describe('kafka client helpers', () => {
  it('turns kafkajs headers (Buffers, strings, arrays) into strings, first value wins', () => {
    assert.deepEqual(
      headersToStrings({
        traceparent: Buffer.from('00-abc-def-01'),
        plain: 'x',
        many: [Buffer.from('a'), 'b'],
        gone: undefined,
      }),
      { traceparent: '00-abc-def-01', plain: 'x', many: 'a' },
    );
    assert.deepEqual(headersToStrings(undefined), {});
  });

  it('formats a kafkajs log entry as one line with its details, without timestamp and stack', () => {
    const line = formatLogEntry({
      namespace: 'Connection',
      level: 1,
      label: 'ERROR',
      log: {
        timestamp: '2026-01-01T00:00:00Z',
        logger: 'kafkajs',
        message: 'Response Fetch',
        error: 'boom',
        broker: '127.0.0.1:9092',
        stack: 'at x',
      },
    });
    assert.equal(line, 'kafka ERROR [Connection] Response Fetch (error: boom, broker: 127.0.0.1:9092)');
  });
});
