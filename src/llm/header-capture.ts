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
  begin(): Exchange;
}

export function createHeaderCapture(baseFetch: typeof globalThis.fetch): HeaderCapture {
  const exchanges = new Map<string, CapturedExchange | undefined>();
  let next = 0;

  const fetch = async (input: Parameters<typeof globalThis.fetch>[0], init?: RequestInit): Promise<Response> => {
    const { id, init: cleanInit } = untag(init);
    if (id === undefined || !exchanges.has(id)) return baseFetch(input, init);
    let response: Response;
    try {
      response = await baseFetch(input, cleanInit);
    } catch (error) {
      exchanges.set(id, { status: 0, headers: {}, transportError: error });
      throw error;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of response.headers) headers[name] = value;
    exchanges.set(id, { status: response.status, headers });
    return teeBodyText(response, (body, transportError) => {
      if (exchanges.has(id)) exchanges.set(id, { status: response.status, headers, body, transportError });
    });
  };

  return {
    fetch: fetch as typeof globalThis.fetch,
    begin() {
      const id = String(++next);
      exchanges.set(id, undefined);
      return {
        tagHeaders: { [TAG]: id },
        result: () => exchanges.get(id),
        end: () => void exchanges.delete(id),
      };
    },
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
function teeBodyText(response: Response, record: (body: string | undefined, transportError?: unknown) => void): Response {
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
