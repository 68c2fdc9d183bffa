/** Types of the real-server launchers (plain JavaScript, like scripts/kafka, so any runner can load them). */
export interface RunningLlamaServer {
  /** `http://127.0.0.1:<port>/v1` */
  readonly baseUrl: string;
  readonly model: string;
  readonly pid: number;
  readonly slots: number;
  stop(): Promise<void>;
}
export interface RunningLiteLLM {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly model: string;
  readonly pid: number;
  stop(): Promise<void>;
}
