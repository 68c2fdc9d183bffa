/**
 * Samples a child process while it runs: resident set size (VmRSS from /proc/PID/status — Linux only; elsewhere
 * the samples are empty and the report says so) and how many records it has written so far (newlines appended to
 * its output file, read incrementally, so the sampler never re-reads the whole file).
 */
import { open, readFile } from 'node:fs/promises';

export interface Sample {
  /** Seconds since sampling started. */
  readonly t: number;
  readonly rssMb: number;
  /** The kernel's high-water mark of RSS so far (VmHWM): the true peak, between samples included. */
  readonly hwmMb?: number;
  /** Output lines written so far. */
  readonly records: number;
}

/** VmRSS and VmHWM (peak so far) of `pid` in MB (10^6 bytes), or undefined when /proc is absent or the process is gone. */
export async function readRss(pid: number): Promise<{ rssMb: number; hwmMb?: number } | undefined> {
  let status: string;
  try {
    status = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch (error) {
    void error; // no /proc (not Linux) or the process just exited: no sample
    return undefined;
  }
  const mb = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return match ? (Number(match[1]) * 1024) / 1e6 : undefined;
  };
  const rssMb = mb('VmRSS');
  return rssMb === undefined ? undefined : { rssMb, hwmMb: mb('VmHWM') };
}

/** Counts newlines appended to a file since the last call. */
export function createLineCounter(path: string): () => Promise<number> {
  let offset = 0;
  let lines = 0;
  const buffer = Buffer.alloc(1 << 20);
  return async () => {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      void error; // not created yet
      return lines;
    }
    try {
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        for (let i = buffer.indexOf(10, 0); i !== -1 && i < bytesRead; i = buffer.indexOf(10, i + 1)) lines++;
      }
    } finally {
      await handle.close();
    }
    return lines;
  };
}

/** Samples every `intervalMs` until `stop()`; resolves to the samples taken. */
export function startSampler(
  pid: number,
  outputPath: string,
  intervalMs: number,
): { stop(): Promise<Sample[]>; latest(): Sample | undefined } {
  const samples: Sample[] = [];
  const countLines = createLineCounter(outputPath);
  const started = performance.now();
  let running = true;
  const loop = (async () => {
    while (running) {
      const [rss, records] = await Promise.all([readRss(pid), countLines()]);
      if (rss !== undefined) samples.push({ t: (performance.now() - started) / 1000, ...rss, records });
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    latest: () => samples.at(-1),
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}
