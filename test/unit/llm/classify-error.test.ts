import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyError, messageHintMs, type Classification } from '../../../src/llm/classify-error.ts';
import { modelCallErrorFromHttp } from '../../../src/llm/http-error.ts';
import { ModelCallError } from '../../../src/llm/model-client.ts';

const NOW = Date.parse('2026-11-26T12:00:00Z');

interface Row {
  name: string;
  status: number;
  body: string;
  headers?: Record<string, string>;
  expect: Classification;
}

// Bodies as the providers send them (OpenAI docs/SDK issues, Azure, vLLM, TGI, Ollama, Moonshot, Anthropic-style 529).
const rows: Row[] = [
  {
    name: 'OpenAI 429 TPM with "try again in" text and reset headers',
    status: 429,
    body: '{"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-x on tokens per min (TPM): Limit 10000, Used 8554, Requested 3082. Please try again in 9.816s. Visit https://platform.openai.com/account/rate-limits to learn more.","type":"tokens","param":null,"code":"rate_limit_exceeded"}}',
    headers: { 'x-ratelimit-reset-tokens': '9.816s', 'x-ratelimit-remaining-tokens': '0' },
    expect: { reason: 'rate_limited', retry: true, congestion: true, stopJob: false, retryAfterMs: 9816 },
  },
  {
    name: 'OpenAI 429 RPM with retry-after-ms beating the text',
    status: 429,
    body: '{"error":{"message":"Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms.","type":"requests","param":null,"code":"rate_limit_exceeded"}}',
    headers: { 'retry-after-ms': '150', 'retry-after': '1' },
    expect: { reason: 'rate_limited', retry: true, congestion: true, stopJob: false, retryAfterMs: 150 },
  },
  {
    name: 'OpenAI 429 "in 20ms"',
    status: 429,
    body: '{"error":{"message":"Rate limit reached for requests. Please try again in 20ms.","type":"requests","param":null,"code":"rate_limit_exceeded"}}',
    expect: { reason: 'rate_limited', retry: true, congestion: true, stopJob: false, retryAfterMs: 20 },
  },
  {
    name: '429 without any hint falls back to the exhausted bucket reset header',
    status: 429,
    body: '{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}',
    headers: { 'x-ratelimit-reset-requests': '1m30.5s', 'x-ratelimit-reset-tokens': '12ms' },
    expect: { reason: 'rate_limited', retry: true, congestion: true, stopJob: false, retryAfterMs: 90_500 },
  },
  {
    name: 'Azure 429 with Retry-After seconds',
    status: 429,
    body: '{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-08-01-preview have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit."}}',
    headers: { 'retry-after': '7' },
    expect: { reason: 'rate_limited', retry: true, congestion: true, stopJob: false, retryAfterMs: 7000 },
  },
  {
    name: 'Azure 429 without header: "retry after N seconds" text',
    status: 429,
    body: '{"error":{"code":"429","message":"Your requests to gpt-4.1-nano have exceeded the token rate limit for your current AIServices S0 pricing tier. Please retry after 45 seconds."}}',
    expect: { reason: 'rate_limited', retry: true, congestion: true, stopJob: false, retryAfterMs: 45_000 },
  },
  {
    name: 'retry-after as an HTTP date',
    status: 429,
    body: '{"error":{"message":"Too many requests","type":"requests","code":"rate_limit_exceeded"}}',
    headers: { 'retry-after': 'Thu, 26 Nov 2026 12:00:03 GMT' },
    expect: { reason: 'rate_limited', retry: true, congestion: true, stopJob: false, retryAfterMs: 3000 },
  },
  {
    name: 'OpenAI insufficient_quota stops the job',
    status: 429,
    body: '{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}',
    expect: { reason: 'quota_exhausted', retry: false, congestion: false, stopJob: true },
  },
  {
    name: 'TGI 429 Model is overloaded (no Retry-After)',
    status: 429,
    body: '{"error":"Model is overloaded","error_type":"overloaded"}',
    expect: { reason: 'overloaded', retry: true, congestion: true, stopJob: false },
  },
  {
    name: 'OpenAI 503 engine overloaded',
    status: 503,
    body: '{"error":{"message":"The engine is currently overloaded, please try again later","type":"server_error","param":null,"code":null}}',
    expect: { reason: 'overloaded', retry: true, congestion: true, stopJob: false },
  },
  {
    name: 'Ollama 503 server overloaded',
    status: 503,
    body: '{"error":"Server overloaded, please retry shortly (ref: aaa65c70)"}',
    expect: { reason: 'overloaded', retry: true, congestion: true, stopJob: false },
  },
  {
    name: 'Anthropic-style 529 overloaded_error',
    status: 529,
    body: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
    expect: { reason: 'overloaded', retry: true, congestion: true, stopJob: false },
  },
  {
    name: 'OpenAI 500 server error: retry, not congestion',
    status: 500,
    body: '{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}',
    expect: { reason: 'server_error', retry: true, congestion: false, stopJob: false },
  },
  {
    name: '503 with Retry-After (flaky provider): retry after the hint, not congestion',
    status: 503,
    body: '{"error":{"message":"Service Unavailable","type":"server_error"}}',
    headers: { 'retry-after': '3' },
    expect: { reason: 'server_error', retry: true, congestion: false, stopJob: false, retryAfterMs: 3000 },
  },
  {
    name: '502 from a proxy (HTML body)',
    status: 502,
    body: '<html><body>Bad Gateway</body></html>',
    expect: { reason: 'server_error', retry: true, congestion: false, stopJob: false },
  },
  {
    name: 'vLLM 400 context length',
    status: 400,
    body: '{"object":"error","message":"This model\'s maximum context length is 4096 tokens. However, you requested 5000 tokens.","type":"BadRequestError","param":null,"code":400}',
    expect: { reason: 'bad_request', retry: false, congestion: false, stopJob: false },
  },
  {
    name: 'OpenAI 401 invalid key',
    status: 401,
    body: '{"error":{"message":"Incorrect API key provided: sk-abc***xyz.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}',
    expect: { reason: 'unauthorized', retry: false, congestion: false, stopJob: false },
  },
  {
    name: '403 region not supported',
    status: 403,
    body: '{"error":{"code":"unsupported_country_region_territory","message":"Country, region, or territory not supported","param":null,"type":"request_forbidden"}}',
    expect: { reason: 'forbidden', retry: false, congestion: false, stopJob: false },
  },
  {
    name: 'Ollama 404 model not found',
    status: 404,
    body: '{"error":"model \\"llama3\\" not found, try pulling it first"}',
    expect: { reason: 'not_found', retry: false, congestion: false, stopJob: false },
  },
  {
    name: '422 unprocessable',
    status: 422,
    body: '{"detail":[{"msg":"field required"}]}',
    expect: { reason: 'bad_request', retry: false, congestion: false, stopJob: false },
  },
  {
    name: '408 request timeout',
    status: 408,
    body: '',
    expect: { reason: 'timeout', retry: true, congestion: true, stopJob: false },
  },
];

for (const row of rows) {
  test(`classifies ${row.name}`, () => {
    const error = modelCallErrorFromHttp(row.status, row.body, row.headers ?? {});
    assert.deepEqual(classifyError(error, NOW), row.expect);
  });
}

test('parses provider error bodies into code, type and message', () => {
  const tgi = modelCallErrorFromHttp(429, '{"error":"Model is overloaded","error_type":"overloaded"}', {});
  assert.equal(tgi.message, '429 Model is overloaded');
  assert.equal(tgi.providerType, 'overloaded');
  const openai = modelCallErrorFromHttp(429, rows[7]!.body, { 'x-request-id': 'r1' });
  assert.equal(openai.providerCode, 'insufficient_quota');
  assert.equal(openai.providerType, 'insufficient_quota');
  assert.equal(openai.status, 429);
  assert.deepEqual(openai.headers, { 'x-request-id': 'r1' });
  assert.equal(modelCallErrorFromHttp(500, '', {}).message, '500 status code (no body)');
  assert.equal(
    modelCallErrorFromHttp(401, '{"error":{"message":"bad key sk-secret"}}', {}, (t) =>
      t.replaceAll('sk-secret', '[redacted]'),
    ).message,
    '401 bad key [redacted]',
  );
});

test('classifies transport failures', () => {
  const t = (transport: 'timeout' | 'reset' | 'aborted' | 'network') =>
    classifyError(new ModelCallError('x', { transport }));
  assert.deepEqual(t('timeout'), { reason: 'timeout', retry: true, congestion: true, stopJob: false });
  assert.deepEqual(t('reset'), { reason: 'connection_reset', retry: true, congestion: false, stopJob: false });
  assert.deepEqual(t('network'), { reason: 'network', retry: true, congestion: false, stopJob: false });
  assert.deepEqual(t('aborted'), { reason: 'aborted', retry: false, congestion: false, stopJob: false });
});

test('classifies errors that did not come through a model client', () => {
  assert.equal(classifyError(new DOMException('aborted', 'AbortError')).reason, 'aborted');
  assert.equal(classifyError(new DOMException('timed out', 'TimeoutError')).reason, 'timeout');
  assert.equal(
    classifyError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).reason,
    'connection_reset',
  );
  assert.equal(classifyError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })).reason, 'network');
  assert.deepEqual(classifyError(new TypeError('x is not a function')), {
    reason: 'unknown',
    retry: false,
    congestion: false,
    stopJob: false,
  });
});

test('reads retry hints from error messages', () => {
  assert.equal(messageHintMs('Please try again in 1.5s.'), 1500);
  assert.equal(messageHintMs('Try again in 30 seconds.'), 30_000);
  assert.equal(messageHintMs('try again in 2 minutes'), 120_000);
  assert.equal(messageHintMs('please try again later'), undefined);
});
