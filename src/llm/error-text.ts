/**
 * Error text shared by the model clients: the message chain of an error (SDKs and fetch wrap the real cause),
 * and the API key redacted wherever it might appear (an echoing proxy, an SDK message quoting the request).
 */

/** The distinct messages of an error and up to three causes, joined by ': '. */
export function describeChain(error: unknown): string {
  const parts: string[] = [];
  for (let e = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const message = e instanceof Error ? e.message : String(e);
    if (message && !parts.includes(message)) parts.push(message);
  }
  return parts.join(': ') || 'unknown error';
}

/** Replaces the API key with `[redacted]`; keys shorter than 6 characters are not searched for (too common). */
export function makeRedactor(apiKey: string): (text: string) => string {
  if (apiKey.length < 6) return (text) => text;
  return (text) => (text.includes(apiKey) ? text.replaceAll(apiKey, '[redacted]') : text);
}
