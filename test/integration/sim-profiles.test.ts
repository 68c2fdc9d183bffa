/**
 * Profile behaviour over real HTTP: saas-tier1 pushed past its RPM answers 429s exactly as OpenAI does; the
 * admission cap refuses with "Model is overloaded"; resets, forced statuses, faults; /sim/stats, /sim/limit,
 * /sim/reset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSimulator } from '../../src/sim/index.ts';

function chat(url: string, content: string, extra: Record<string, unknown> = {}): Promise<Response> {
  return fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], max_tokens: 100, ...extra }),
  });
}

/** Poll a condition (up to 30 s); the assertions that follow say what was expected. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 3000 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
}

async function pool<T>(n: number, width: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

test('saas-tier1 pushed past 500 RPM answers OpenAI-shaped 429s', async () => {
  const sim = await startSimulator({ profile: 'saas-tier1', overrides: { error500Rate: 0, error503Rate: 0 } });
  try {
    // Send until 20 requests were refused (or 3,000 were sent): how many get through depends on the refill during
    // the run (8.33/s), so the bound below uses the measured duration instead of assuming a fast machine.
    type Answer = {
      status: number;
      headers: Headers;
      body: { error?: { message: string; type: string; code: string; param: null } };
    };
    const responses: Answer[] = [];
    let refused = 0;
    const started = performance.now();
    await pool(3000, 20, async (i) => {
      if (refused >= 20) return;
      const res = await chat(sim.url, `review ${i} [[sim:latency_ms=0]]`);
      const answer: Answer = { status: res.status, headers: res.headers, body: (await res.json()) as Answer['body'] };
      if (answer.status === 429) refused++;
      responses.push(answer);
    });
    const elapsedS = (performance.now() - started) / 1000;
    const ok = responses.filter((r) => r.status === 200);
    const limited = responses.filter((r) => r.status === 429);
    assert.equal(ok.length + limited.length, responses.length);
    assert.ok(limited.length >= 20, `refused ${limited.length}`);
    // 500 from the full bucket, plus at most the refill during the run
    const refill = Math.ceil((elapsedS * 500) / 60) + 1;
    assert.ok(
      ok.length >= 500 && ok.length <= 500 + refill,
      `admitted ${ok.length} in ${elapsedS.toFixed(2)} s (refill ≤ ${refill})`,
    );
    for (const r of [...ok, ...limited]) {
      for (const h of [
        'limit-requests',
        'remaining-requests',
        'reset-requests',
        'limit-tokens',
        'remaining-tokens',
        'reset-tokens',
      ]) {
        assert.ok(r.headers.get(`x-ratelimit-${h}`) !== null, `x-ratelimit-${h}`);
      }
      assert.equal(r.headers.get('x-ratelimit-limit-requests'), '500');
      assert.equal(r.headers.get('x-ratelimit-limit-tokens'), '200000');
    }
    for (const r of limited) {
      assert.equal(r.body.error?.code, 'rate_limit_exceeded');
      assert.equal(r.body.error?.type, 'requests');
      assert.equal(r.body.error?.param, null);
      assert.match(
        r.body.error?.message ?? '',
        /^Rate limit reached for gpt-4o-mini in organization org-sluice-sim on requests per min \(RPM\): Limit 500, Used \d+, Requested 1\. Please try again in \d+(\.\d+)?m?s\. Visit https:\/\/platform\.openai\.com\/account\/rate-limits to learn more\.$/,
      );
      const ms = Number(r.headers.get('retry-after-ms'));
      assert.ok(ms > 0 && ms <= 120_000, `retry-after-ms ${ms}`);
      assert.equal(Number(r.headers.get('retry-after')), Math.max(1, Math.ceil(ms / 1000)));
      assert.equal(r.headers.get('x-ratelimit-remaining-requests'), '0');
    }
    const stats = sim.stats();
    assert.equal(stats.admitted, ok.length);
    assert.equal(stats.rejected.rate_requests, limited.length);
    assert.equal(stats.byStatus['429'], limited.length);
  } finally {
    await sim.close();
  }
});

test('capped-overload refuses the 33rd request in flight; stats count in-flight and rejections', async () => {
  const sim = await startSimulator({ profile: 'capped-overload', overrides: { error500Rate: 0 } });
  try {
    // 32 requests held for a minute (ended by the abort below), then one more
    const controller = new AbortController();
    const held = Array.from({ length: 32 }, (_, i) =>
      fetch(`${sim.url}/chat/completions`, {
        method: 'POST',
        signal: controller.signal,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'm',
          messages: [{ role: 'user', content: `hold ${i} [[sim:latency_ms=60000]]` }],
        }),
      }).then(
        (r) => r.status,
        () => 'aborted',
      ),
    );
    await waitFor(() => sim.stats().inFlight === 32);
    const refused = await chat(sim.url, 'one too many');
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), null);
    assert.deepEqual(await refused.json(), { error: 'Model is overloaded', error_type: 'overloaded' });
    const stats = (await (await fetch(sim.url.replace(/\/v1$/, '/sim/stats'))).json()) as {
      maxInFlight: number;
      inFlight: number;
      rejected: Record<string, number>;
      byStatus: Record<string, number>;
    };
    assert.equal(stats.maxInFlight, 32);
    assert.equal(stats.inFlight, 32);
    assert.equal(stats.rejected.overloaded, 1);
    assert.equal(stats.byStatus['429'], 1);
    controller.abort();
    assert.deepEqual(new Set(await Promise.all(held)), new Set(['aborted']));
  } finally {
    await sim.close();
  }
});

test('a client that goes away frees its place: aborted requests leave the admission cap and the run queue', async () => {
  const sim = await startSimulator({ profile: 'capped-overload', overrides: { error500Rate: 0, maxRunning: 16 } });
  try {
    const controller = new AbortController();
    const held = Array.from({ length: 32 }, (_, i) =>
      fetch(`${sim.url}/chat/completions`, {
        method: 'POST',
        signal: controller.signal,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'm',
          messages: [{ role: 'user', content: `hold ${i} [[sim:latency_ms=60000]]` }],
        }),
      }).then(
        () => 'answered',
        () => 'aborted',
      ),
    );
    await waitFor(() => sim.stats().inFlight === 32);
    assert.equal(sim.stats().running, 16);
    assert.equal(sim.stats().waiting, 16);
    assert.equal((await chat(sim.url, 'refused')).status, 429);
    controller.abort();
    assert.deepEqual(new Set(await Promise.all(held)), new Set(['aborted']));
    await waitFor(() => sim.stats().inFlight === 0);
    const stats = sim.stats();
    assert.equal(stats.inFlight, 0);
    assert.equal(stats.aborted, 32);
    assert.equal(stats.running, 0);
    assert.equal((await chat(sim.url, 'admitted again')).status, 200);
  } finally {
    await sim.close();
  }
});

test('forced reset destroys the connection mid-response; forced statuses and faults; /sim/reset', async () => {
  const sim = await startSimulator({ profile: 'null' });
  const base = sim.url.replace(/\/v1$/, '');
  try {
    await assert.rejects(async () => (await chat(sim.url, 'x [[sim:reset=1]]')).text());
    const failed = await chat(sim.url, 'x [[sim:status=502]]');
    assert.equal(failed.status, 502);
    assert.equal(failed.headers.get('retry-after'), '1');
    assert.equal(((await failed.json()) as { error: { type: string } }).error.type, 'server_error');
    const cut = await chat(sim.url, 'x [[sim:fault=truncate]]', {
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'r', schema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] } },
      },
    });
    const body = (await cut.json()) as { choices: Array<{ finish_reason: string; message: { content: string } }> };
    assert.equal(body.choices[0]?.finish_reason, 'length');
    assert.throws(() => JSON.parse(body.choices[0]?.message.content ?? ''));
    const stats = sim.stats();
    assert.equal(stats.failed.reset, 1);
    assert.equal(stats.failed.forced_502, 1);
    assert.equal(stats.faults.truncate, 1);
    assert.equal((await fetch(`${base}/sim/reset`, { method: 'POST' })).status, 200);
    assert.equal(sim.stats().admitted, 0);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
  } finally {
    await sim.close();
  }
});

test('/sim/limit returns X* for every profile, scaled by the time scale', async () => {
  for (const profile of [
    'saas-tier1',
    'saas-tier5',
    'vllm-gpu',
    'capped-overload',
    'flaky-tail',
    'seed-blog',
    'null',
  ]) {
    const sim = await startSimulator({ profile, timeScale: 10 });
    try {
      const res = await fetch(
        `${sim.url.replace(/\/v1$/, '')}/sim/limit?concurrency=256&promptTokens=250&maxTokens=100&clientCeiling=9000`,
      );
      assert.equal(res.status, 200);
      const limit = (await res.json()) as { profile: string; xStar: number; cStar: number; bound: string };
      assert.equal(limit.profile, profile);
      assert.ok(limit.xStar > 0, `${profile} X* ${limit.xStar}`);
      assert.deepEqual(
        limit,
        JSON.parse(
          JSON.stringify(sim.limit({ concurrency: 256, promptTokens: 250, maxTokens: 100, clientCeiling: 9000 })),
        ),
      );
    } finally {
      await sim.close();
    }
  }
  const tier1 = await startSimulator({ profile: 'saas-tier1', timeScale: 10 });
  assert.equal(tier1.limit({ concurrency: 256, promptTokens: 250, maxTokens: 100 }).xStar, 83.33);
  await tier1.close();
});
