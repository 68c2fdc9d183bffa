/**
 * The Batch API port over undici (already the lean model client's HTTP stack): one small keep-alive Pool to the
 * endpoint's origin. Uploads stream the request file as multipart/form-data (never held in memory: a batch input
 * may be 200 MB); downloads stream into a local file. Non-2xx answers become ModelCallErrors through the same
 * normaliser as model calls (llm/http-error), transport failures are tagged as the undici model client tags them,
 * and the API key is redacted from every message.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { Pool, type Dispatcher } from 'undici';
import { makeRedactor } from '../llm/error-text.ts';
import { modelCallErrorFromHttp } from '../llm/http-error.ts';
import { ModelCallError } from '../llm/model-client.ts';
import { flattenHeaders, OPENAI_BASE_URL, transportError } from '../llm/undici-client.ts';
import type { BatchApi, BatchObject, BatchPage, FileObject } from './batch-api.ts';

export interface UndiciBatchApiOptions {
  /** OpenAI-compatible base URL (`…/v1`). Absent: OpenAI itself. */
  readonly baseUrl?: string;
  readonly apiKey: string;
}

export function createUndiciBatchApi(options: UndiciBatchApiOptions): BatchApi {
  const base = new URL((options.baseUrl ?? OPENAI_BASE_URL).replace(/\/+$/, ''));
  const prefix = base.pathname.replace(/\/+$/, '');
  const pool = new Pool(base.origin, { connections: 4, keepAliveTimeout: 30_000 });
  const redact = makeRedactor(options.apiKey);
  const auth: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};

  /** One exchange; resolves with the response whose status is 2xx (body unread), else rejects. */
  async function exchange(
    request: Omit<Dispatcher.RequestOptions, 'path'> & { path: string },
    signal: AbortSignal,
  ): Promise<Dispatcher.ResponseData> {
    let response: Dispatcher.ResponseData;
    try {
      response = await pool.request({
        ...request,
        path: `${prefix}${request.path}`,
        headers: { ...auth, ...(request.headers as Record<string, string>) },
        signal,
      });
    } catch (error) {
      throw transportError(error, { headers: {}, timedOut: false, aborted: signal.aborted, redact });
    }
    if (response.statusCode >= 200 && response.statusCode < 300) return response;
    const text = await response.body.text().catch((error: unknown) => `(body unreadable: ${String(error)})`);
    throw modelCallErrorFromHttp(response.statusCode, text, flattenHeaders(response.headers), redact);
  }

  async function json<T>(method: 'GET' | 'POST', path: string, signal: AbortSignal, body?: unknown): Promise<T> {
    const response = await exchange(
      body === undefined
        ? { method, path, headers: { accept: 'application/json' } }
        : {
            method,
            path,
            headers: { accept: 'application/json', 'content-type': 'application/json' },
            body: JSON.stringify(body),
          },
      signal,
    );
    const text = await readBody(response, signal, redact);
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new ModelCallError(
        redact(`${method} ${path}: ${response.statusCode} answer is not JSON: ${(error as Error).message}`),
        { status: response.statusCode, cause: error },
      );
    }
  }

  return {
    async uploadFile(path, filename, signal) {
      const size = (await stat(path)).size;
      const boundary = `sluice${randomBytes(12).toString('hex')}`;
      const head = Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n` +
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename.replace(/"/g, '')}"\r\nContent-Type: application/jsonl\r\n\r\n`,
      );
      const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
      const body = Readable.from(multipartBody(head, path, tail));
      const response = await exchange(
        {
          method: 'POST',
          path: '/files',
          headers: {
            accept: 'application/json',
            'content-type': `multipart/form-data; boundary=${boundary}`,
            'content-length': String(head.length + size + tail.length),
          },
          body,
        },
        signal,
      );
      return JSON.parse(await readBody(response, signal, redact)) as FileObject;
    },
    createBatch: (inputFileId, metadata, signal) =>
      json<BatchObject>('POST', '/batches', signal, {
        input_file_id: inputFileId,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
        metadata,
      }),
    getBatch: (id, signal) => json<BatchObject>('GET', `/batches/${encodeURIComponent(id)}`, signal),
    listBatches: (after, signal) =>
      json<BatchPage>('GET', `/batches?limit=100${after ? `&after=${encodeURIComponent(after)}` : ''}`, signal),
    cancelBatch: (id, signal) => json<BatchObject>('POST', `/batches/${encodeURIComponent(id)}/cancel`, signal, {}),
    async downloadFile(id, path, signal) {
      const response = await exchange({ method: 'GET', path: `/files/${encodeURIComponent(id)}/content` }, signal);
      try {
        await pipeline(response.body, createWriteStream(path), { signal });
      } catch (error) {
        throw transportError(error, { headers: {}, timedOut: false, aborted: signal.aborted, redact });
      }
      return (await stat(path)).size;
    },
    close: () => pool.close(),
  };
}

async function* multipartBody(head: Buffer, path: string, tail: Buffer): AsyncGenerator<Buffer> {
  yield head;
  for await (const chunk of createReadStream(path)) yield chunk as Buffer;
  yield tail;
}

async function readBody(
  response: Dispatcher.ResponseData,
  signal: AbortSignal,
  redact: (text: string) => string,
): Promise<string> {
  try {
    return await response.body.text();
  } catch (error) {
    throw transportError(error, { headers: {}, timedOut: false, aborted: signal.aborted, redact });
  }
}
