import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { classifyError } from '../../../src/llm/classify-error.ts';
import { modelCallErrorFromHttp } from '../../../src/llm/http-error.ts';
import { exhaustedResetMs, readRateHeaders } from '../../../src/llm/provider-headers.ts';

/**
 * Real answers of a LiteLLM 1.108.7 proxy in front of the simulator (test/fixtures/litellm, captured with curl):
 * a 200 and a 429 after LiteLLM's own upstream retries. The proxy passes `x-ratelimit-limit-*`/`-remaining-*`
 * through as they are, but the resets and `retry-after(-ms)` only under an `llm_provider-` prefix.
 */
function fixture(name: string): { headers: Record<string, string>; body: string } {
  const dir = new URL('../../fixtures/litellm/', import.meta.url);
  const headers: Record<string, string> = {};
  for (const line of readFileSync(new URL(`${name}.headers`, dir), 'utf8')
    .split('\n')
    .slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: readFileSync(new URL(`${name}.body.json`, dir), 'utf8') };
}

const NOW = Date.parse('2026-12-03T08:25:00Z');

test('LiteLLM 200: limits and remaining as passed through, resets from the llm_provider- copies', () => {
  const { headers } = fixture('200');
  assert.equal(headers['x-ratelimit-reset-requests'], undefined, 'the fixture really lacks the plain reset header');
  assert.deepEqual(readRateHeaders(headers, NOW), {
    requests: { limitPerMinute: 20, remaining: 2, resetMs: 52_147 },
    tokens: { limitPerMinute: 200_000, remaining: 200_000, resetMs: 0 },
  });
});

test('LiteLLM 429: rate limited, retry hint from llm_provider-retry-after-ms, not an overload or quota stop', () => {
  const { headers, body } = fixture('429');
  const error = modelCallErrorFromHttp(429, body, headers);
  assert.deepEqual(classifyError(error, NOW), {
    reason: 'rate_limited',
    retry: true,
    congestion: true,
    stopJob: false,
    retryAfterMs: 1742,
  });
  const rate = readRateHeaders(headers, NOW);
  assert.equal(rate.retryAfterMs, 1742);
  assert.deepEqual(rate.requests, { limitPerMinute: 20, remaining: 0, resetMs: 60_000 });
});

test('LiteLLM 429 without its prefixed hint headers: the "try again in 1.742s" text still gives the hint', () => {
  const { headers, body } = fixture('429');
  const bare = Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith('llm_provider-')));
  assert.equal(classifyError(modelCallErrorFromHttp(429, body, bare), NOW).retryAfterMs, 1742);
});

test('provider header table', () => {
  const cases: Array<{ name: string; headers: Record<string, string>; expect: ReturnType<typeof readRateHeaders> }> = [
    { name: 'none', headers: { 'content-type': 'application/json' }, expect: {} },
    {
      name: 'OpenAI tier 1',
      headers: {
        'x-ratelimit-limit-requests': '500',
        'x-ratelimit-remaining-requests': '499',
        'x-ratelimit-reset-requests': '120ms',
        'x-ratelimit-limit-tokens': '200000',
        'x-ratelimit-remaining-tokens': '199650',
        'x-ratelimit-reset-tokens': '105ms',
      },
      expect: {
        requests: { limitPerMinute: 500, remaining: 499, resetMs: 120 },
        tokens: { limitPerMinute: 200_000, remaining: 199_650, resetMs: 105 },
      },
    },
    {
      name: 'the plain header wins over the proxy copy',
      headers: { 'retry-after-ms': '250', 'llm_provider-retry-after-ms': '9000' },
      expect: { retryAfterMs: 250 },
    },
    { name: 'retry-after in seconds', headers: { 'llm_provider-retry-after': '2' }, expect: { retryAfterMs: 2000 } },
    {
      name: 'retry-after as an HTTP date',
      headers: { 'retry-after': 'Thu, 03 Dec 2026 08:25:03 GMT' },
      expect: { retryAfterMs: 3000 },
    },
    {
      name: 'unreadable values impose nothing',
      headers: {
        'x-ratelimit-limit-requests': 'lots',
        'x-ratelimit-remaining-requests': '3',
        'x-ratelimit-limit-tokens': '100',
        'x-ratelimit-remaining-tokens': '',
        'retry-after': 'soon',
      },
      expect: {},
    },
    {
      name: 'an unreadable reset leaves the bucket without one',
      headers: {
        'x-ratelimit-limit-requests': '60',
        'x-ratelimit-remaining-requests': '3',
        'x-ratelimit-reset-requests': 'later',
      },
      expect: { requests: { limitPerMinute: 60, remaining: 3 } },
    },
  ];
  for (const c of cases) assert.deepEqual(readRateHeaders(c.headers, NOW), c.expect, c.name);
});

test('exhausted bucket reset: the bucket the error names, else the empty one, else the later reset', () => {
  const headers = {
    'x-ratelimit-reset-requests': '1m30.5s',
    'llm_provider-x-ratelimit-reset-tokens': '12ms',
    'x-ratelimit-remaining-tokens': '0',
  };
  assert.equal(exhaustedResetMs(headers, 'requests'), 90_500);
  assert.equal(exhaustedResetMs(headers, 'tokens'), 12);
  assert.equal(exhaustedResetMs(headers, undefined), 12, 'the empty bucket');
  assert.equal(
    exhaustedResetMs({ 'x-ratelimit-reset-requests': '2s', 'x-ratelimit-reset-tokens': '5s' }, undefined),
    5000,
  );
  assert.equal(exhaustedResetMs({}, 'tokens'), undefined);
});
