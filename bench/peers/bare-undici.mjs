// A bare undici loop over a requests file (one chat-completions body per line, as bench/peers.ts writes them):
// reads it line by line, posts each body through one keep-alive Pool at CONCURRENCY, writes
// `{"id","result"}` per answer to OUTPUT. Plain JavaScript, run with plain node (no TypeScript loader):
//   node bench/peers/bare-undici.mjs REQUESTS.jsonl OUTPUT.jsonl BASE_URL [CONCURRENCY=64]
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import pLimit from 'p-limit';
import { Pool } from 'undici';

const [requestsPath, outputPath, baseUrl, concurrencyArg = '64'] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const url = new URL(`${baseUrl.replace(/\/+$/, '')}/chat/completions`);
const pool = new Pool(url.origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
const headers = { 'content-type': 'application/json', authorization: `Bearer ${process.env.OPENAI_API_KEY}` };
const limit = pLimit(concurrency);
const output = createWriteStream(outputPath);
const calls = [];
let failed = 0;
for await (const line of createInterface({ input: createReadStream(requestsPath), crlfDelay: Infinity })) {
  if (!line.trim()) continue;
  const { metadata, ...body } = JSON.parse(line);
  calls.push(
    limit(async () => {
      const response = await pool.request({ path: url.pathname, method: 'POST', headers, body: JSON.stringify(body) });
      const completion = await response.body.json();
      const content = response.statusCode === 200 ? completion.choices?.[0]?.message?.content : undefined;
      if (!content) return void failed++;
      output.write(`${JSON.stringify({ id: metadata?.id, result: JSON.parse(content) })}\n`);
    }),
  );
}
await Promise.all(calls);
output.end();
await finished(output);
await pool.close();
if (failed > 0) {
  process.stderr.write(`bare-undici: ${failed} requests failed\n`);
  process.exitCode = 1;
}
