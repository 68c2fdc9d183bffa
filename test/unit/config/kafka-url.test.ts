import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isKafkaUrl, parseKafkaUrl } from '../../../src/config/kafka-url.ts';
import { ConfigError } from '../../../src/core/errors.ts';

describe('parseKafkaUrl', () => {
  it('reads brokers, topic and group', () => {
    assert.deepEqual(parseKafkaUrl('kafka://127.0.0.1:9092/reviews?group=sluice'), {
      brokers: ['127.0.0.1:9092'],
      topic: 'reviews',
      groupId: 'sluice',
    });
  });

  it('reads a broker list, a client id, and no group for writing', () => {
    assert.deepEqual(parseKafkaUrl('kafka://kafka-1:9092,kafka-2:19092,[::1]:9093/review-insights?clientId=me'), {
      brokers: ['kafka-1:9092', 'kafka-2:19092', '[::1]:9093'],
      topic: 'review-insights',
      clientId: 'me',
    });
  });

  it('recognises kafka:// URLs case-insensitively and nothing else', () => {
    assert.equal(isKafkaUrl('KAFKA://h:1/t'), true);
    assert.equal(isKafkaUrl('reviews.jsonl'), false);
    assert.equal(isKafkaUrl('-'), false);
  });

  const bad: Array<[string, RegExp]> = [
    ['file.jsonl', /not a kafka:\/\/ URL/],
    ['kafka://h:9092', /missing \/topic/],
    ['kafka:///reviews', /missing broker/],
    ['kafka://h:9092,/reviews', /missing broker/],
    ['kafka://h/reviews', /is not host:port/],
    ['kafka://h:99999/reviews', /is not host:port/],
    ['kafka://h:9092/', /topic "" must be/],
    ['kafka://h:9092/bad topic', /topic "bad topic" must be/],
    ['kafka://h:9092/..', /topic "\.\." must be/],
    ['kafka://h:9092/t?grup=x', /unknown parameter "grup"/],
    ['kafka://h:9092/t?group=', /group must not be empty/],
    ['kafka://h:9092/t?group=g&sessionTimeoutMs=500', /sessionTimeoutMs must be an integer ≥ 1000/],
    ['kafka://h:9092/t?group=g&sessionTimeoutMs=abc', /sessionTimeoutMs must be an integer ≥ 1000/],
  ];
  for (const [url, message] of bad) {
    it(`rejects ${url} with a message naming the option`, () => {
      assert.throws(
        () => parseKafkaUrl(url, { path: '-i' }),
        (error: unknown) => error instanceof ConfigError && error.path === '-i' && message.test(error.message),
      );
    });
  }

  it('reads a session timeout', () => {
    assert.equal(parseKafkaUrl('kafka://h:9092/t?group=g&sessionTimeoutMs=10000').sessionTimeoutMs, 10000);
  });

  it('requires a group for reading when asked', () => {
    assert.throws(() => parseKafkaUrl('kafka://h:9092/t', { path: '-i', requireGroup: true }), /add \?group=NAME/);
    assert.equal(parseKafkaUrl('kafka://h:9092/t?group=g', { requireGroup: true }).groupId, 'g');
  });
});
