/**
 * The simulator's Files and Batch API routes (OpenAI's shapes; `/v1` optional, as for chat):
 *   POST   /v1/files                 multipart: purpose, file (purpose batch needs a .jsonl file)
 *   GET    /v1/files/{id}            the file object
 *   GET    /v1/files/{id}/content    the bytes (batch inputs, outputs and error files)
 *   DELETE /v1/files/{id}
 *   POST   /v1/batches               {input_file_id, endpoint:"/v1/chat/completions", completion_window:"24h", metadata?}
 *   GET    /v1/batches               ?limit=(1-100, default 20)&after=<id>: newest first, {data, first_id, last_id, has_more}
 *   GET    /v1/batches/{id}
 *   POST   /v1/batches/{id}/cancel
 * The server hands these requests over whole (http-server.ts); bodies are read here, with an upload cap above the
 * profile's batch file limit so an oversized input uploads and then fails validation, as on OpenAI.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody } from '../openai-shapes.ts';
import type { BatchStore } from './batch-store.ts';
import type { BatchSimStats } from './batch-stats.ts';
import { fileObject, UPLOAD_PURPOSES } from './file-store.ts';
import { parseMultipart } from './multipart.ts';

export interface SimBatchApi {
  /** True for the Files and Batch API routes. */
  handles(req: IncomingMessage): boolean;
  handle(req: IncomingMessage, res: ServerResponse): void;
  stats(): BatchSimStats;
  resetStats(): void;
  /** Clears pending delayed answers. */
  shutdown(): void;
}

export interface SimBatchApiOptions {
  readonly store: BatchStore;
  /** Real ms the answer to a batch creation is held back (the profile's batchCreateDelayS, time-scaled). */
  readonly createDelayMs: number;
  /** Largest request body accepted (uploads). */
  readonly maxBodyBytes: number;
  /** Counts each response by status (the server's byStatus). */
  countResponse(status: number): void;
}

const JSON_TYPE = 'application/json';
const SUPPORTED_ENDPOINTS = ['/v1/chat/completions'];

export function createSimBatchApi(options: SimBatchApiOptions): SimBatchApi {
  const { store } = options;
  const timers = new Set<NodeJS.Timeout>();

  function send(res: ServerResponse, status: number, body: string | Buffer, type = JSON_TYPE): void {
    options.countResponse(status);
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }
  const json = (res: ServerResponse, value: unknown) => send(res, 200, JSON.stringify(value));
  const invalid = (
    res: ServerResponse,
    status: number,
    message: string,
    param: string | null = null,
    code: string | null = null,
  ) => send(res, status, errorBody(message, 'invalid_request_error', param, code));

  function upload(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const parts = parseMultipart(body, req.headers['content-type']);
    if ('error' in parts) return invalid(res, 400, `Invalid upload: ${parts.error}.`);
    const purpose = parts
      .find((p) => p.name === 'purpose')
      ?.data.toString('utf8')
      .trim();
    const file = parts.find((p) => p.name === 'file' && p.filename !== undefined);
    if (!file) return invalid(res, 400, "Missing required parameter: 'file'.", 'file', 'missing_required_parameter');
    if (!purpose)
      return invalid(res, 400, "Missing required parameter: 'purpose'.", 'purpose', 'missing_required_parameter');
    if (!UPLOAD_PURPOSES.includes(purpose))
      return invalid(
        res,
        400,
        `Invalid value for 'purpose': '${purpose}' (one of ${UPLOAD_PURPOSES.join(', ')}).`,
        'purpose',
        'invalid_value',
      );
    if (purpose === 'batch' && !file.filename!.endsWith('.jsonl'))
      return invalid(res, 400, 'Invalid file format for Batch API. Must be .jsonl', 'file');
    const stored = store.files.add(file.filename!, purpose as 'batch', file.data, store.unixSeconds());
    store.countUpload();
    json(res, fileObject(stored));
  }

  function createBatch(res: ServerResponse, body: Buffer): void {
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch (error) {
      return invalid(res, 400, `We could not parse the JSON body of your request. (${(error as Error).message})`);
    }
    const fileId = input.input_file_id;
    if (typeof fileId !== 'string')
      return invalid(
        res,
        400,
        "Missing required parameter: 'input_file_id'.",
        'input_file_id',
        'missing_required_parameter',
      );
    const file = store.files.get(fileId);
    if (!file) return invalid(res, 404, `No such File object: ${fileId}`, 'input_file_id');
    if (file.purpose !== 'batch')
      return invalid(res, 400, `The file ${fileId} was not uploaded with purpose 'batch'.`, 'input_file_id');
    if (typeof input.endpoint !== 'string' || !SUPPORTED_ENDPOINTS.includes(input.endpoint)) {
      return invalid(
        res,
        400,
        `Invalid value for 'endpoint': '${String(input.endpoint)}' (the simulator supports ${SUPPORTED_ENDPOINTS.join(', ')}).`,
        'endpoint',
        'invalid_value',
      );
    }
    if (input.completion_window !== '24h')
      return invalid(
        res,
        400,
        `Invalid value for 'completion_window': '${String(input.completion_window)}'. Supported values are: '24h'.`,
        'completion_window',
        'invalid_value',
      );
    const metadata = isStringMap(input.metadata) ? input.metadata : null;
    const batch = store.create({ inputFileId: fileId, endpoint: input.endpoint, completionWindow: '24h', metadata });
    const answer = () => json(res, store.objectOf(batch));
    if (options.createDelayMs <= 0) return answer();
    // The batch exists from now on, whether or not the client is still there to hear about it.
    const timer = setTimeout(() => {
      timers.delete(timer);
      answer();
    }, options.createDelayMs);
    timers.add(timer);
  }

  function listBatches(res: ServerResponse, query: URLSearchParams): void {
    const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 20) || 20));
    const all = store.list();
    const after = query.get('after');
    const start = after ? all.findIndex((b) => b.id === after) + 1 : 0;
    const page = all.slice(start, start + limit);
    json(res, {
      object: 'list',
      data: page.map((b) => store.objectOf(b)),
      first_id: page[0]?.id ?? null,
      last_id: page.at(-1)?.id ?? null,
      has_more: start + limit < all.length,
    });
  }

  function route(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://sim');
    const path = url.pathname.replace(/^\/v1(?=\/)/, '');
    const method = req.method ?? 'GET';
    const [, collection, id, action] = path.split('/');
    if (collection === 'files') {
      if (method === 'POST' && id === undefined) return upload(req, res, body);
      const file = id ? store.files.get(id) : undefined;
      if (!file) return invalid(res, 404, `No such File object: ${id ?? ''}`, 'id');
      if (method === 'GET' && action === undefined) return json(res, fileObject(file));
      if (method === 'GET' && action === 'content') return send(res, 200, file.content, 'application/octet-stream');
      if (method === 'DELETE' && action === undefined) {
        store.files.delete(file.id);
        return json(res, { id: file.id, object: 'file', deleted: true });
      }
    } else if (collection === 'batches') {
      if (method === 'POST' && id === undefined) return createBatch(res, body);
      if (method === 'GET' && id === undefined) return listBatches(res, url.searchParams);
      const batch = id ? store.get(id) : undefined;
      if (!batch) return invalid(res, 404, `No batch found with id '${id ?? ''}'.`, 'batch_id');
      if (method === 'GET' && action === undefined) return json(res, store.objectOf(batch));
      if (method === 'POST' && action === 'cancel') {
        if (!store.cancel(batch)) return invalid(res, 409, `Cannot cancel a batch with status '${batch.status}'.`);
        return json(res, store.objectOf(batch));
      }
    }
    invalid(res, 404, `Invalid URL (${method} ${url.pathname})`);
  }

  return {
    handles(req) {
      return /^(\/v1)?\/(files|batches)(\/|$|\?)/.test(req.url ?? '');
    },
    handle(req, res) {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= options.maxBodyBytes) chunks.push(chunk);
      });
      req.on('end', () => {
        if (size > options.maxBodyBytes)
          return invalid(res, 413, `Request body too large (limit ${options.maxBodyBytes} bytes).`);
        route(req, res, Buffer.concat(chunks));
      });
    },
    stats: () => store.stats,
    resetStats: () => store.resetStats(),
    shutdown() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}

function isStringMap(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string')
  );
}
