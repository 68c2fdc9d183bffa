import type { RunningLlamaServer } from './index.d.mts';
export type { RunningLlamaServer };
export function llamaInstallation(): { server: string; model: string } | undefined;
export function startLlamaServer(options?: {
  slots?: number;
  threads?: number;
  log?: (line: string) => void;
}): Promise<RunningLlamaServer>;
