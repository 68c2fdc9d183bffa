/**
 * The kafkajs client shared by the Kafka source and sink (the only two importers of kafkajs, with this file):
 * one place for client options and for turning kafkajs' structured log into sluice's one-line logger.
 */
import kafkajs from 'kafkajs';
import type { Kafka, LogEntry } from 'kafkajs';

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  /**
   * Receives kafkajs' own warnings and errors as one line each; silent when absent. The CLI passes it only with
   * --verbose: kafkajs logs every retry of a connection (a broker that is down printed 20 lines before the error).
   */
  readonly clientLog?: (line: string) => void;
}

export function createKafkaClient(options: KafkaClientOptions): Kafka {
  const logger = options.clientLog;
  return new kafkajs.Kafka({
    clientId: options.clientId ?? 'sluice',
    brokers: [...options.brokers],
    logLevel: logger ? kafkajs.logLevel.WARN : kafkajs.logLevel.NOTHING,
    logCreator: () => (entry: LogEntry) => logger?.(formatLogEntry(entry)),
  });
}

// kafkajs' runtime `logLevel` is a plain object without the reverse mapping its TypeScript enum suggests.
const LEVEL_NAMES: Readonly<Record<number, string>> = { 1: 'ERROR', 2: 'WARN', 4: 'INFO', 5: 'DEBUG' };

/** `kafka WARN [Consumer] message (error: ..., groupId: ...)`: the fields that tell what went wrong. */
export function formatLogEntry(entry: LogEntry): string {
  const { message, timestamp: _timestamp, logger: _logger, ...extra } = entry.log;
  const level = LEVEL_NAMES[entry.level] ?? String(entry.level);
  const details = Object.entries(extra)
    .filter(([key, value]) => value !== undefined && key !== 'stack')
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
  return `kafka ${level} [${entry.namespace}] ${message}${details ? ` (${details})` : ''}`;
}

/** kafkajs message headers (Buffer, string, arrays of them) as plain strings: the first value of each header. */
export function headersToStrings(headers: Readonly<Record<string, unknown>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [name, raw] of Object.entries(headers)) {
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value === undefined || value === null) continue;
    out[name] = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  }
  return out;
}
