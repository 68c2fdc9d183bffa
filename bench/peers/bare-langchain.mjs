// A bare LangChain loop over a requests file (one chat-completions body per line, as bench/peers.ts writes them):
// `ChatOpenAI(...).withStructuredOutput(schema, { method: 'jsonSchema', includeRaw: true })` invoked per request
// through p-limit at CONCURRENCY, `{"id","result"}` per answer written to OUTPUT — what a user's LangChain script
// over the same job does. Plain JavaScript, run with plain node:
//   node bench/peers/bare-langchain.mjs REQUESTS.jsonl OUTPUT.jsonl BASE_URL [CONCURRENCY=64]
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import { ChatOpenAI } from '@langchain/openai';
import pLimit from 'p-limit';

const [requestsPath, outputPath, baseUrl, concurrencyArg = '64'] = process.argv.slice(2);
const limit = pLimit(Number(concurrencyArg));
const output = createWriteStream(outputPath);
const structuredByBody = new Map();
const calls = [];
let failed = 0;
for await (const line of createInterface({ input: createReadStream(requestsPath), crlfDelay: Infinity })) {
  if (!line.trim()) continue;
  const { metadata, messages, model, temperature, max_tokens: maxTokens, response_format: format } = JSON.parse(line);
  // One ChatOpenAI per distinct model settings (in practice one), as a script would build it once.
  const key = `${model}|${temperature}|${maxTokens}|${format.json_schema.name}`;
  let structured = structuredByBody.get(key);
  if (!structured) {
    const chat = new ChatOpenAI({
      model,
      temperature,
      maxTokens,
      maxRetries: 0,
      apiKey: process.env.OPENAI_API_KEY,
      configuration: { baseURL: baseUrl },
    });
    structured = chat.withStructuredOutput(format.json_schema.schema, {
      name: format.json_schema.name,
      method: 'jsonSchema',
      includeRaw: true,
    });
    structuredByBody.set(key, structured);
  }
  calls.push(
    limit(async () => {
      const answer = await structured.invoke(messages.map((m) => [m.role === 'user' ? 'human' : m.role, m.content]));
      if (answer.parsed === undefined || answer.parsed === null) return void failed++;
      output.write(`${JSON.stringify({ id: metadata?.id, result: answer.parsed })}\n`);
    }),
  );
}
await Promise.all(calls);
output.end();
await finished(output);
if (failed > 0) {
  process.stderr.write(`bare-langchain: ${failed} requests failed\n`);
  process.exitCode = 1;
}
