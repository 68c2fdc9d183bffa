/**
 * Where a job reads and writes, from `-i`, `-o` and `--dead-letter`: `-` (stdin/stdout), a file path, or a
 * `kafka://` URL. The dead-letter file defaults to one next to the output, so a failed record is never
 * silently dropped.
 */
import { basename, dirname, join } from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { isKafkaUrl, parseKafkaUrl, type KafkaUrl } from '../config/kafka-url.ts';

export type InputEndpoint = { kind: 'stdin' } | { kind: 'file'; path: string } | { kind: 'kafka'; url: KafkaUrl };
export type OutputEndpoint = { kind: 'stdout' } | { kind: 'file'; path: string } | { kind: 'kafka'; url: KafkaUrl };
export type DeadLetterEndpoint = { kind: 'file'; path: string } | { kind: 'kafka'; url: KafkaUrl };

/**
 * Used when the output is stdout or Kafka and no --dead-letter is given. Appended to, never started afresh
 * (build-job.ts): it collects the dead letters of every such run in the directory.
 */
export const DEFAULT_DEAD_LETTER_FILE = 'sluice-dead-letters.jsonl';

export function parseInput(text: string): InputEndpoint {
  if (text === '-') return { kind: 'stdin' };
  if (isKafkaUrl(text)) return { kind: 'kafka', url: parseKafkaUrl(text, { path: '-i', requireGroup: true }) };
  return { kind: 'file', path: text };
}

export function parseOutput(text: string): OutputEndpoint {
  if (text === '-') return { kind: 'stdout' };
  if (isKafkaUrl(text)) return { kind: 'kafka', url: parseKafkaUrl(text, { path: '-o' }) };
  return { kind: 'file', path: text };
}

export function parseDeadLetter(text: string | undefined, output: OutputEndpoint): DeadLetterEndpoint {
  if (text === '-')
    throw new ConfigError(
      '--dead-letter',
      'dead letters cannot go to stdout (it carries results): give a file or kafka:// URL',
    );
  if (text !== undefined)
    return isKafkaUrl(text)
      ? { kind: 'kafka', url: parseKafkaUrl(text, { path: '--dead-letter' }) }
      : { kind: 'file', path: text };
  if (output.kind !== 'file') return { kind: 'file', path: DEFAULT_DEAD_LETTER_FILE };
  const name = basename(output.path).replace(/\.jsonl?$/i, '');
  return { kind: 'file', path: join(dirname(output.path), `${name}.dead-letters.jsonl`) };
}

export function describeEndpoint(endpoint: InputEndpoint | OutputEndpoint | DeadLetterEndpoint): string {
  switch (endpoint.kind) {
    case 'stdin':
      return 'stdin';
    case 'stdout':
      return 'stdout';
    case 'file':
      return endpoint.path;
    case 'kafka':
      return `kafka://${endpoint.url.brokers.join(',')}/${endpoint.url.topic}`;
  }
}
