import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHeaderCapture } from '../../../src/llm/header-capture.ts';

function fakeFetch(respond: (headers: Headers) => Response | Promise<Response>) {
  const seen: Headers[] = [];
  const fetch = (async (_input: unknown, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    seen.push(headers);
    return respond(headers);
  }) as typeof globalThis.fetch;
  return { fetch, seen };
}

test('strips the correlation tag and records status, headers and the body as the SDK reads it', async () => {
  const base = fakeFetch(
    () => new Response('{"ok":true}', { status: 200, headers: { 'X-RateLimit-Remaining-Requests': '7' } }),
  );
  const capture = createHeaderCapture(base.fetch);
  const exchange = capture.begin();
  const response = await capture.fetch('http://peer/v1/chat/completions', {
    method: 'POST',
    headers: new Headers({ ...exchange.tagHeaders, authorization: 'Bearer k' }),
  });
  assert.equal(base.seen[0]?.get('x-sluice-exchange'), null);
  assert.equal(base.seen[0]?.get('authorization'), 'Bearer k');
  assert.deepEqual(exchange.result(), {
    status: 200,
    headers: { 'content-type': 'text/plain;charset=UTF-8', 'x-ratelimit-remaining-requests': '7' },
  });
  assert.deepEqual(await response.json(), { ok: true });
  assert.equal(exchange.result()?.body, '{"ok":true}');
  exchange.end();
  assert.equal(exchange.result(), undefined);
});

test('plain-object headers are untagged too; untagged requests pass straight through', async () => {
  const base = fakeFetch(() => new Response('x', { status: 500 }));
  const capture = createHeaderCapture(base.fetch);
  const exchange = capture.begin();
  const tagged = await capture.fetch('http://peer', {
    headers: { ...exchange.tagHeaders, accept: 'application/json' },
  });
  assert.equal(base.seen[0]?.has('x-sluice-exchange'), false);
  assert.equal(await tagged.text(), 'x');
  assert.equal(exchange.result()?.status, 500);
  assert.equal(exchange.result()?.body, 'x');
  await capture.fetch('http://peer', { headers: { accept: 'application/json' } });
  assert.equal(base.seen.length, 2);
});

test('a transport failure is recorded and rethrown', async () => {
  const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  const capture = createHeaderCapture((async () => {
    throw reset;
  }) as typeof globalThis.fetch);
  const exchange = capture.begin();
  await assert.rejects(capture.fetch('http://peer', { headers: exchange.tagHeaders }), /socket hang up/);
  assert.equal(exchange.result()?.transportError, reset);
  assert.equal(exchange.result()?.status, 0);
});
