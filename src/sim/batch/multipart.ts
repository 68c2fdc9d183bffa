/**
 * A minimal multipart/form-data reader (RFC 7578) for `POST /v1/files`: the whole body is in memory (the simulator
 * caps its size), parts are split on the boundary, and each part's `Content-Disposition` gives its field name and,
 * for a file, its filename. Enough for what OpenAI clients send (one `purpose` field, one `file` part).
 */

export interface MultipartPart {
  readonly name: string;
  readonly filename?: string;
  readonly contentType?: string;
  readonly data: Buffer;
}

/** The parts of `body`, or a one-line reason it is not multipart/form-data. */
export function parseMultipart(body: Buffer, contentType: string | undefined): MultipartPart[] | { error: string } {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  if (!/^multipart\/form-data/i.test(contentType ?? '') || !boundary)
    return { error: 'expected a multipart/form-data body with a boundary' };
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const parts: MultipartPart[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) return { error: 'the multipart body holds no part' };
  while (true) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === '--') return parts; // the closing delimiter
    at = skipLineBreak(body, at);
    const next = body.indexOf(delimiter, at);
    if (next < 0) return { error: 'the multipart body has no closing boundary' };
    const part = parsePart(body.subarray(at, endBeforeLineBreak(body, next)));
    if ('error' in part) return part;
    parts.push(part);
    at = next;
  }
}

function parsePart(raw: Buffer): MultipartPart | { error: string } {
  const headerEnd = raw.indexOf('\r\n\r\n');
  if (headerEnd < 0) return { error: 'a multipart part has no header block' };
  const headers = raw.subarray(0, headerEnd).toString('utf8').split('\r\n');
  const data = raw.subarray(headerEnd + 4);
  let name: string | undefined;
  let filename: string | undefined;
  let contentType: string | undefined;
  for (const header of headers) {
    const colon = header.indexOf(':');
    const key = header.slice(0, colon).trim().toLowerCase();
    const value = header.slice(colon + 1).trim();
    if (key === 'content-disposition') {
      name = /\bname="([^"]*)"/i.exec(value)?.[1];
      filename = /\bfilename="([^"]*)"/i.exec(value)?.[1];
    } else if (key === 'content-type') contentType = value;
  }
  if (name === undefined) return { error: 'a multipart part has no Content-Disposition name' };
  return { name, data, ...(filename !== undefined && { filename }), ...(contentType !== undefined && { contentType }) };
}

function skipLineBreak(body: Buffer, at: number): number {
  if (body[at] === 0x0d && body[at + 1] === 0x0a) return at + 2;
  if (body[at] === 0x0a) return at + 1;
  return at;
}

/** The part ends before the CRLF that precedes the next delimiter. */
function endBeforeLineBreak(body: Buffer, delimiterAt: number): number {
  if (body[delimiterAt - 2] === 0x0d && body[delimiterAt - 1] === 0x0a) return delimiterAt - 2;
  if (body[delimiterAt - 1] === 0x0a) return delimiterAt - 1;
  return delimiterAt;
}
