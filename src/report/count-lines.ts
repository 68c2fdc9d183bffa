/**
 * Counts the lines of an input file in the background, for the progress line's total and ETA. Empty lines are
 * counted too (the total is an estimate, shown as such); a read error leaves the total unknown — progress is
 * advisory and must never fail a run.
 */
import { createReadStream } from 'node:fs';

export function countLinesInBackground(path: string): { total(): number | undefined; cancel(): void } {
  let total: number | undefined;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  let lines = 0;
  let lastByte = 0x0a;
  stream.on('data', (chunk: Buffer | string) => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, i + 1)) lines++;
    if (bytes.length > 0) lastByte = bytes[bytes.length - 1]!;
  });
  stream.on('end', () => {
    total = lines + (lastByte === 0x0a ? 0 : 1);
  });
  stream.on('error', () => stream.destroy()); // unknown total: the progress line simply shows no ETA
  return {
    total: () => total,
    cancel: () => stream.destroy(),
  };
}
