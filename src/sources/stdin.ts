import type { ByteSource } from './source.ts';

/** Stdin source (a `ByteSource`, sources/source.ts): process.stdin's bytes as they arrive (the stream is injectable for tests). */
export function stdinSource(stream: NodeJS.ReadableStream = process.stdin): ByteSource {
  return stream as ByteSource;
}
