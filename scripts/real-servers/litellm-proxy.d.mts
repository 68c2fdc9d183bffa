import type { RunningLiteLLM } from './index.d.mts';
export type { RunningLiteLLM };
export const LITELLM_MASTER_KEY: string;
export function litellmInstallation(): string | undefined;
export function startLiteLLM(options: {
  upstream: string;
  model?: string;
  log?: (line: string) => void;
}): Promise<RunningLiteLLM>;
