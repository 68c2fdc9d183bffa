/**
 * Captures each HTTP exchange the OpenAI SDK makes on behalf of one model call — status, lower-cased response
 * headers, body text, or the transport error — because LangChain hands back neither headers nor error bodies.
 *
 * Correlation: `begin()` returns a private request header; the client passes it as a per-request header, and
 * the wrapped fetch strips it before the request leaves the process and files the exchange under it. This does
 * not depend on async-context propagation through LangChain's call queue.
 *
 * The body is read here (once) and handed to the SDK as a fresh Response, so the caller can still recover the
 * raw answer when the SDK throws on it (finish_reason `length`, malformed JSON in `chat.completions.parse`).
 */

const TAG = 'x-sluice-exchange';
const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);

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
    let body: string;
    try {
      body = await response.text();
    } catch (error) {
      exchanges.set(id, { status: response.status, headers, transportError: error });
      throw error;
    }
    exchanges.set(id, { status: response.status, headers, body });
    return new Response(NULL_BODY_STATUS.has(response.status) ? null : body, { status: response.status, statusText: response.statusText, headers: response.headers });
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
