/**
 * The simulator's HTTP layer (node:http, no framework): routing, body reading, timers and writing. Every decision
 * comes from SimEngine; no profile logic here. Routes:
 *   POST /v1/chat/completions   GET /v1/models   GET /sim/stats   GET /sim/limit?concurrency=&promptTokens=&maxTokens=
 *   POST /sim/reset
 * and, handed over whole to sim/batch/batch-routes.ts, the Files and Batch APIs (/v1/files…, /v1/batches…).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parseChatRequest, type ChatRequest } from './chat-request.ts';
import { parseDirectives } from './directives.ts';
import { completionBody, errorBody, sseEvents, usageOf, type CompletionParts } from './openai-shapes.ts';
import type { LimitQuery } from './limit-formulas.ts';
import type { Headers, Plan, Refusal, SimEngine } from './sim-engine.ts';
import type { SimBatchApi } from './batch/batch-routes.ts';

const MAX_BODY = 8 * 1024 * 1024;
const JSON_TYPE = 'application/json';

/** One admitted request on its way: its plan once running, its pending timer, whether it is over. */
interface Attempt {
  done: boolean;
  /** The client left while the request was waiting for a run slot. */
  abandoned: boolean;
  plan: Plan | undefined;
  timer: NodeJS.Timeout | undefined;
}

export interface SimServerDeps {
  engine: SimEngine;
  /** The Files and Batch APIs; their counters are served under `batch` in /sim/stats. */
  batch?: SimBatchApi;
  limit(q: LimitQuery): unknown;
  log(line: string): void;
}

export interface SimServer {
  server: Server;
  /** Clear pending timers and destroy open connections. */
  shutdown(): Promise<void>;
}

export function createSimServer(deps: SimServerDeps): SimServer {
  const timers = new Set<NodeJS.Timeout>();
  let ids = 0;
  const created = Math.floor(Date.now() / 1000);
  const modelsBody = JSON.stringify({
    object: 'list',
    data: [{ id: 'gpt-4o-mini', object: 'model', created, owned_by: 'sluice-sim' }],
  });
  const { engine } = deps;

  /** Run fn after ms (now when ms ≤ 0); the timer is remembered on the attempt so an abort can cancel it. */
  function later(ms: number, fn: () => void, attempt?: Attempt): void {
    if (ms <= 0) return fn();
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
    if (attempt) attempt.timer = t;
  }

  function send(res: ServerResponse, status: number, body: string, headers?: Headers): void {
    engine.countResponse(status);
    if (res.destroyed) return;
    res.writeHead(
      status,
      headers
        ? { ...headers, 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body) }
        : { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body) },
    );
    res.end(body);
  }

  function refuse(res: ServerResponse, r: Refusal): void {
    later(r.delayMs, () => send(res, r.status, r.body, r.headers));
  }

  function answer(res: ServerResponse, req: ChatRequest, plan: Plan, attempt: Attempt, onDone: () => void): void {
    if (plan.error) {
      const error = plan.error;
      later(
        plan.totalMs,
        () => {
          onDone();
          send(res, error.status, error.body, error.headers);
        },
        attempt,
      );
      return;
    }
    const id = `chatcmpl-sim${(++ids).toString(36)}`;
    const parts: CompletionParts = {
      id,
      created: Math.floor(Date.now() / 1000),
      model: req.model,
      content: req.mode === 'tool' ? null : plan.text,
      toolCall:
        req.mode === 'tool'
          ? { id: `call_${id.slice(8)}`, name: req.toolName ?? 'tool', arguments: plan.text }
          : undefined,
      finishReason: req.mode === 'tool' && plan.finishReason === 'stop' ? 'tool_calls' : plan.finishReason,
      usage: usageOf(req.promptTokens, plan.completionTokens),
    };
    if (!req.stream) {
      later(
        plan.totalMs,
        () => {
          // Rate headers reflect the buckets when the answer leaves, as a real provider's do.
          const headers = engine.rateHeaders();
          const body = completionBody(parts);
          onDone();
          if (plan.reset) return resetMidResponse(res, headers, body);
          send(res, 200, body, headers);
        },
        attempt,
      );
      return;
    }
    const events = sseEvents(parts, req.includeUsage);
    later(
      plan.ttftMs,
      () => {
        engine.countResponse(200);
        if (res.destroyed) return;
        res.writeHead(200, {
          ...engine.rateHeaders(),
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
        });
        res.write(events.first);
        later(
          plan.totalMs - plan.ttftMs,
          () => {
            onDone();
            if (plan.reset) {
              res.write(events.rest.slice(0, events.rest.length >> 1), () => res.destroy());
              return;
            }
            res.end(events.rest);
          },
          attempt,
        );
      },
      attempt,
    );
  }

  /** Headers and half the body, then the socket is destroyed: the client sees a reset mid-response. */
  function resetMidResponse(res: ServerResponse, headers: Headers, body: string): void {
    engine.countResponse(200);
    if (res.destroyed) return;
    res.writeHead(200, { ...headers, 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body) });
    res.write(body.slice(0, body.length >> 1), () => res.destroy());
  }

  function chat(res: ServerResponse, raw: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (error) {
      engine.countBadRequest();
      const detail = error instanceof Error ? error.message : String(error);
      return send(
        res,
        400,
        errorBody(`We could not parse the JSON body of your request. (${detail})`, 'invalid_request_error'),
      );
    }
    const result = parseChatRequest(parsed);
    if ('error' in result) {
      engine.countBadRequest();
      return send(
        res,
        400,
        errorBody(result.error.message, 'invalid_request_error', result.error.param, result.error.code),
      );
    }
    const request = result.request;
    const refusal = engine.admit(request);
    if (refusal) return refuse(res, refusal);
    const directives = parseDirectives(request.lastUserMessage);
    const forced = directives.status !== undefined;
    const attempt: Attempt = { done: false, abandoned: false, plan: undefined, timer: undefined };
    const finish = (aborted: boolean) => {
      if (attempt.done) return;
      attempt.done = true;
      if (attempt.timer) {
        clearTimeout(attempt.timer);
        timers.delete(attempt.timer);
      }
      engine.finish(attempt.plan, forced, aborted);
    };
    const run = () => {
      if (attempt.abandoned) return finish(true); // the client left while waiting: free the slot at once
      const plan = engine.plan(request, directives);
      attempt.plan = plan;
      answer(res, request, plan, attempt, () => finish(false));
    };
    const wait = engine.waitForSlot();
    if (wait) wait.then(run, (error: unknown) => deps.log(`sim: run queue failed: ${String(error)}`));
    else run();
    if (!attempt.done) {
      // A client that goes away (timeout, abort) frees its place, as vLLM aborts a disconnected request.
      res.once('close', () => {
        if (attempt.done) return;
        if (attempt.plan === undefined) attempt.abandoned = true;
        else finish(true);
      });
    }
  }

  function route(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (req.method === 'POST' && (path === '/v1/chat/completions' || path === '/chat/completions'))
      return chat(res, raw);
    if (req.method === 'GET' && (path === '/v1/models' || path === '/models')) return send(res, 200, modelsBody);
    if (req.method === 'GET' && path === '/sim/stats')
      return send(res, 200, JSON.stringify({ ...engine.stats(), ...(deps.batch && { batch: deps.batch.stats() }) }));
    if (req.method === 'POST' && path === '/sim/reset') {
      engine.reset();
      deps.batch?.resetStats();
      return send(res, 200, JSON.stringify({ ok: true }));
    }
    if (req.method === 'GET' && path === '/sim/limit') {
      const params = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
      const num = (key: string, fallback?: number) => {
        const v = params.get(key);
        return v === null || v === '' ? fallback : Number(v);
      };
      const query: LimitQuery = {
        concurrency: num('concurrency', Infinity) ?? Infinity,
        promptTokens: num('promptTokens', 0) ?? 0,
        maxTokens: num('maxTokens', 0) ?? 0,
        timeoutS: num('timeoutS'),
        clientCeiling: num('clientCeiling'),
        items: num('items'),
      };
      if (Object.values(query).some((v) => v !== undefined && (Number.isNaN(v) || v < 0))) {
        return send(
          res,
          400,
          errorBody(
            'concurrency, promptTokens, maxTokens, timeoutS, clientCeiling and items must be numbers ≥ 0',
            'invalid_request_error',
          ),
        );
      }
      return send(res, 200, JSON.stringify(deps.limit(query)));
    }
    send(res, 404, errorBody(`Invalid URL (${req.method ?? 'GET'} ${path})`, 'invalid_request_error'));
  }

  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    if (deps.batch?.handles(req)) return deps.batch.handle(req, res);
    if (req.method === 'GET') {
      req.resume();
      return route(req, res, '');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY) return send(res, 413, errorBody('Request body too large.', 'invalid_request_error'));
      route(
        req,
        res,
        chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8'),
      );
    });
    req.on('error', (error) => deps.log(`sim: request error: ${error.message}`));
  });

  return {
    server,
    async shutdown() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      deps.batch?.shutdown();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
