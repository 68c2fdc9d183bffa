/**
 * Captures each HTTP exchange the OpenAI SDK makes on behalf of one model call — status, lower-cased response
 * headers, body text, or the transport error — because LangChain hands back neither headers nor error bodies.
 *
 * Correlation: `begin()` returns a private request header; the client passes it as a per-request header, and
 * the wrapped fetch strips it before the request leaves the process and files the exchange under it. This does
 * not depend on async-context propagation through LangChain's call queue.
 *
 * The body text is recorded as the SDK reads it (`json()`/`text()` are wrapped on the response instance — cheaper
 * than reading it here and building a second Response), so the caller can still recover the raw answer when the
 * SDK throws on it (finish_reason `length`, malformed JSON in `chat.completions.parse`).
 */

const TAG = 'x-sluice-exchange';

export interface CapturedExchange {
  /** 0 when no response arrived. */
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** The fetch or body-read failure (reset, refused, DNS), when there was one. */
  readonly transportError?: unknown;
  /**
   * Time on the wire, ms: from handing the request to the HTTP layer until the body was read (absent while it is
   * being read). What the limiter reacts to: it leaves out the SDK's own work before and after, which on a busy
   * event loop grew a call's measured latency many times over its server time.
   */
  readonly wireMs?: number;
}

/**
 * Optional per-tag observer of HTTP attempts, for callers whose SDK retries inside (LangChain's own AsyncCaller
 * in the `langchain-batch` bench peer): `onAttempt` runs when a request under the tag is about to be sent and
 * returns the function called once when that attempt ended — its body was read (or failed to read), or the fetch
 * itself failed (status 0). A response whose body is never read never reports its end (the OpenAI SDK reads
 * every body it receives, success or error).
 */
export interface AttemptObserver {
  onAttempt(): (exchange: CapturedExchange) => void;
}

export interface Exchange {
  /** Pass as the call's request headers. */
  readonly tagHeaders: Readonly<Record<string, string>>;
  /** The last exchange made under this tag (the SDK makes one; it never retries with maxRetries 0). */
  result(): CapturedExchange | undefined;
  /** Forgets the exchange; call once the call settled. */
  end(): void;
}

export interface HeaderCapture {
  readonly fetch: typeof globalThis.fetch;
  /** A fresh tag; `observer` (optional) sees every HTTP attempt made under it. */
  begin(observer?: AttemptObserver): Exchange;
}

export function createHeaderCapture(baseFetch: typeof globalThis.fetch): HeaderCapture {
  const exchanges = new Map<string, CapturedExchange | undefined>();
  const observers = new Map<string, AttemptObserver>();
  let next = 0;

  const fetch = async (input: Parameters<typeof globalThis.fetch>[0], init?: RequestInit): Promise<Response> => {
    const { id, init: cleanInit } = untag(init);
    if (id === undefined || !exchanges.has(id)) return baseFetch(input, init);
    const attemptEnded = once(observers.get(id)?.onAttempt());
    const sentAt = performance.now();
    let response: Response;
    try {
      response = await baseFetch(input, cleanInit);
    } catch (error) {
      const failed: CapturedExchange = {
        status: 0,
        headers: {},
        transportError: error,
        wireMs: performance.now() - sentAt,
      };
      exchanges.set(id, failed);
      attemptEnded?.(failed);
      throw error;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of response.headers) headers[name] = value;
    exchanges.set(id, { status: response.status, headers });
    return teeBodyText(response, (body, transportError) => {
      const done: CapturedExchange = {
        status: response.status,
        headers,
        body,
        transportError,
        wireMs: performance.now() - sentAt,
      };
      if (exchanges.has(id)) exchanges.set(id, done);
      attemptEnded?.(done);
    });
  };

  return {
    fetch: fetch as typeof globalThis.fetch,
    begin(observer) {
      const id = String(++next);
      exchanges.set(id, undefined);
      if (observer) observers.set(id, observer);
      return {
        tagHeaders: { [TAG]: id },
        result: () => exchanges.get(id),
        end: () => {
          exchanges.delete(id);
          observers.delete(id);
        },
      };
    },
  };
}

/** At most one call (a body read twice would report a second, failed read). */
function once<A>(fn: ((arg: A) => void) | undefined): ((arg: A) => void) | undefined {
  if (!fn) return undefined;
  let called = false;
  return (arg) => {
    if (called) return;
    called = true;
    fn(arg);
  };
}

function untag(init: RequestInit | undefined): { id?: string; init?: RequestInit } {
  const raw = init?.headers;
  if (!raw) return { init };
  if (raw instanceof Headers) {
    const id = raw.get(TAG) ?? undefined;
    if (id !== undefined) raw.delete(TAG);
    return { id, init };
  }
  const headers = new Headers(raw);
  const id = headers.get(TAG) ?? undefined;
  if (id === undefined) return { init };
  headers.delete(TAG);
  return { id, init: { ...init, headers } };
}

/**
 * Makes `response.json()` and `response.text()` report the body text (or the read failure, e.g. a reset
 * mid-body) to `record`, reading the stream once. Other body readers are left alone (the SDK uses these two for
 * non-streaming calls).
 */
function teeBodyText(
  response: Response,
  record: (body: string | undefined, transportError?: unknown) => void,
): Response {
  const readText = response.text.bind(response);
  const text = async (): Promise<string> => {
    let body: string;
    try {
      body = await readText();
    } catch (error) {
      record(undefined, error);
      throw error;
    }
    record(body);
    return body;
  };
  Object.defineProperty(response, 'text', { value: text });
  Object.defineProperty(response, 'json', { value: async () => JSON.parse(await text()) as unknown });
  return response;
}
