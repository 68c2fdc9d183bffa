/** Types of broker.mjs (plain JavaScript so the test runner can load it without tsx). */
export interface RunningBroker {
  /** `127.0.0.1:<port>`: the bootstrap address for clients. */
  readonly brokers: string;
  readonly pid: number;
  /** Temp directory holding the config, data and broker.log; removed by stop(). */
  readonly dir: string;
  /** SIGTERM (SIGKILL after 20 s) by pid, then removes the temp directory. */
  stop(): Promise<void>;
}
export function canRunBroker(): boolean;
export function fetchJars(options?: { version?: string }): string;
export function startBroker(options?: {
  log?: (line: string) => void;
  version?: string;
  properties?: Readonly<Record<string, string>>;
}): Promise<RunningBroker>;
