/** Stdin source: process.stdin's bytes as they arrive (the stream is injectable for tests). */
export function stdinSource(stream: NodeJS.ReadableStream = process.stdin): AsyncIterable<Buffer> {
  return stream as AsyncIterable<Buffer>;
}
