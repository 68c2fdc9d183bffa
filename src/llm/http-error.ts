import { ModelCallError } from './model-client.ts';

/**
 * Builds a ModelCallError from a raw non-2xx HTTP answer (status, body text, lower-cased headers), whatever the
 * provider's body dialect:
 * - OpenAI / Azure / LiteLLM: `{"error":{"message","type","code","param"}}`
 * - vLLM: `{"object":"error","message","type","code":400}`
 * - TGI: `{"error":"Model is overloaded","error_type":"overloaded"}`
 * - Ollama: `{"error":"model \"x\" not found"}`; anything else: the text itself.
 * The API key is redacted from the message (`redact`). classify-error decides what the result means.
 */
export function modelCallErrorFromHttp(
  status: number,
  bodyText: string,
  headers: Record<string, string>,
  redact: (text: string) => string = (t) => t,
): ModelCallError {
  const body = parseBody(bodyText);
  const message = redact(`${status} ${body.message ?? (bodyText.trim().slice(0, 500) || 'status code (no body)')}`);
  return new ModelCallError(message, { status, providerCode: body.code, providerType: body.type, headers });
}

interface ParsedBody {
  message?: string;
  code?: string;
  type?: string;
}

function parseBody(text: string): ParsedBody {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    void error; // not JSON: the caller uses the text itself as the message
    return {};
  }
  if (!isObject(json)) return {};
  const inner = json.error;
  if (isObject(inner)) {
    return {
      message: asText(inner.message),
      code: asText(inner.code),
      type: asText(inner.type) ?? asText(inner.error_type),
    };
  }
  if (typeof inner === 'string')
    return { message: inner, code: asText(json.code), type: asText(json.error_type) ?? asText(json.type) };
  return {
    message: asText(json.message) ?? asText(json.detail),
    code: asText(json.code),
    type: asText(json.type) ?? asText(json.error_type),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}
