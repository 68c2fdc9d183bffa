import { createRequire } from 'node:module';
import type { Dispatcher, Pool as UndiciPool } from 'undici';
import type { ModelConfig } from '../config/pipeline-schema.ts';
import { answerFromBody } from './answer.ts';
import { describeChain, makeRedactor } from './error-text.ts';
import { modelCallErrorFromHttp } from './http-error.ts';
import { ModelCallError, type ModelClient, type ModelRequest, type ModelResponse } from './model-client.ts';
import { attemptDeadline } from './attempt-deadline.ts';
import { undiciBodyWriter } from './chat-body.ts';

/**
 * A lean OpenAI-compatible ModelClient: one undici Pool (keep-alive) posting `/chat/completions` bodies directly,
 * the body read once and parsed once. Selected with `model.client: undici` in the pipeline (default `langchain`).
 *
 * Why it exists: against the `null` simulator the LangChain path costs ~2,000 CPU µs per record
 * and a raw undici loop ~240 µs (bench/results/client-ceiling.md); a Node client tops out near 1e6 / (µs per
 * record) records/s on its one JavaScript thread, so LangChain alone cannot reach 0.95 · 500 req/s (`saas-tier5`).
 *
 * Same contract as langchain-client: one attempt, no retries (execute-call owns them), the per-attempt deadline
 * `model.timeoutMs` combined with the request's signal, response headers lower-cased for pacing, non-2xx answers
 * normalised by http-error.ts (every provider dialect), transport failures tagged timeout / reset / aborted /
 * network, the API key redacted from every message. Structured output is requested exactly as the LangChain
 * client does (response_format json_schema, strict only when the schema allows it; or one forced function call).
 */

// The two modules of undici this client uses, not its index: `import 'undici'` loads all of it (fetch, WebSocket,
// caches, mocks), ≈ 90 ms of CPU and ≈ 9 MB of RSS at start-up that a job never uses (measured with `node -e`).
// These paths are undici 7's own (lib/dispatcher/pool.js, lib/api/index.js); the version is pinned in package.json.
const requireUndici = createRequire(import.meta.url);
const Pool = requireUndici('undici/lib/dispatcher/pool.js') as typeof UndiciPool;
const { request: poolRequest } = requireUndici('undici/lib/api/index.js') as {
  request: (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
};

export interface UndiciClientOptions {
  readonly model: ModelConfig;
  /** OpenAI-compatible base URL (`…/v1`). Absent: OpenAI itself. */
  readonly baseUrl?: string;
  readonly apiKey: string;
  /** Pool size (keep-alive connections). Default 256: the pipeline's own limiter bounds calls in flight. */
  readonly connections?: number;
  readonly now?: () => number;
}

export interface UndiciModelClient extends ModelClient {
  /** Closes the connection pool (idle sockets otherwise linger until their keep-alive timeout). */
  close(): Promise<void>;
}

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

export function createUndiciClient(options: UndiciClientOptions): UndiciModelClient {
  const { model, apiKey } = options;
  const now = options.now ?? (() => performance.now());
  const endpoint = new URL(`${(options.baseUrl ?? OPENAI_BASE_URL).replace(/\/+$/, '')}/chat/completions`);
  const pool = new Pool(endpoint.origin, {
    connections: options.connections ?? 256,
    pipelining: 1,
    keepAliveTimeout: 30_000,
  });
  const headers = { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${apiKey}` };
  const redact = makeRedactor(apiKey);
  const bodyOf = undiciBodyWriter(model);
  let provider = endpoint.hostname === 'api.openai.com' ? 'openai' : endpoint.hostname;
  if (!options.baseUrl) provider = 'openai';

  return {
    model: model.name,
    provider,
    close: () => pool.close(),
    async call(request: ModelRequest): Promise<ModelResponse> {
      const body = bodyOf(request);
      const deadline = attemptDeadline(request.signal, model.timeoutMs);
      const started = now();
      let status = 0;
      let responseHeaders: Record<string, string> = {};
      try {
        const response = await poolRequest.call(pool, {
          path: endpoint.pathname + endpoint.search,
          method: 'POST',
          headers,
          body,
          signal: deadline.signal,
        });
        status = response.statusCode;
        responseHeaders = flattenHeaders(response.headers);
        const text = await response.body.text();
        const latencyMs = now() - started;
        if (status < 200 || status >= 300) throw modelCallErrorFromHttp(status, text, responseHeaders, redact);
        return { ...parseAnswer(text, status, responseHeaders, model, redact), headers: responseHeaders, latencyMs };
      } catch (error) {
        if (error instanceof ModelCallError) throw error;
        throw transportError(error, {
          headers: responseHeaders,
          timedOut: deadline.timedOut(),
          aborted: request.signal.aborted,
          redact,
        });
      } finally {
        deadline.clear();
      }
    },
  };
}

/** A 2xx body as the model's answer; a body that is not a chat completion is a ModelCallError. */
function parseAnswer(
  text: string,
  status: number,
  headers: Record<string, string>,
  model: ModelConfig,
  redact: (t: string) => string,
) {
  let answer: ReturnType<typeof answerFromBody>;
  try {
    answer = answerFromBody(text, model.structuredOutput);
  } catch (error) {
    throw new ModelCallError(redact(`${status} not a chat completion: ${(error as Error).message}`), {
      status,
      headers,
      cause: error,
    });
  }
  const { raw, parsed, finishReason, usage, serverMs } = answer;
  return { raw, parsed, finishReason, usage, model: answer.model ?? model.name, serverMs };
}

export function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers))
    if (value !== undefined) out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

const RESET_CODES = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED']);

export function transportError(
  error: unknown,
  context: { headers: Record<string, string>; timedOut: boolean; aborted: boolean; redact: (t: string) => string },
): ModelCallError {
  const { headers } = context;
  const text = context.redact(describeChain(error));
  if (context.aborted) return new ModelCallError(`aborted: ${text}`, { transport: 'aborted', headers, cause: error });
  if (context.timedOut)
    return new ModelCallError(`timed out: ${text}`, { transport: 'timeout', headers, cause: error });
  for (let e = error, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (
      (typeof code === 'string' && RESET_CODES.has(code)) ||
      (e instanceof Error && /terminated|socket hang up|other side closed/i.test(e.message))
    ) {
      return new ModelCallError(`connection reset: ${text}`, { transport: 'reset', headers, cause: error });
    }
  }
  return new ModelCallError(`network error: ${text}`, { transport: 'network', headers, cause: error });
}
