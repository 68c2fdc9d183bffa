/**
 * Kafka endpoints on the command line: `kafka://host:port[,host:port...]/topic[?group=G&clientId=C]`.
 *
 * `-i kafka://127.0.0.1:9092/reviews?group=sluice[&sessionTimeoutMs=10000]` reads `reviews` as consumer group `sluice`;
 * `-o kafka://127.0.0.1:9092/review-insights` writes there. Parsed by hand: WHATWG `URL` rejects a host list.
 */
import { ConfigError } from '../core/errors.ts';

export interface KafkaUrl {
  /** Bootstrap brokers, `host:port` each. */
  readonly brokers: readonly string[];
  readonly topic: string;
  /** Consumer group (`?group=`); required to read. */
  readonly groupId?: string;
  /** Client id reported to the broker (`?clientId=`). */
  readonly clientId?: string;
  /**
   * Consumer-group session timeout in ms (`?sessionTimeoutMs=`): how soon a crashed member's partitions move to
   * the others. Slow model calls do not need a long one (the source heartbeats while they run).
   */
  readonly sessionTimeoutMs?: number;
}

const PREFIX = 'kafka://';
/** Kafka's own rule for topic names (kafka.common.Topic): ASCII letters, digits, `.`, `_`, `-`, at most 249. */
const TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;
const BROKER = /^(\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9.-]+):(\d{1,5})$/;
const PARAMS = new Set(['group', 'clientId', 'sessionTimeoutMs']);

export function isKafkaUrl(text: string): boolean {
  return text.toLowerCase().startsWith(PREFIX);
}

/**
 * Parses a `kafka://` URL; errors are ConfigErrors naming `path` (e.g. `-i`). With `requireGroup`, a URL without
 * `?group=` is rejected (reading needs a consumer group to commit offsets to).
 */
export function parseKafkaUrl(text: string, options: { path?: string; requireGroup?: boolean } = {}): KafkaUrl {
  const path = options.path ?? 'url';
  const fail = (message: string): never => {
    throw new ConfigError(
      path,
      `${message} (expected kafka://host:port[,host:port]/topic?group=NAME, got ${JSON.stringify(text)})`,
    );
  };
  if (!isKafkaUrl(text)) fail('not a kafka:// URL');
  const rest = text.slice(PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash < 0) fail('missing /topic');
  const hostList = rest.slice(0, slash);
  const [topicPart = '', query = ''] = splitOnce(rest.slice(slash + 1), '?');

  const brokers = hostList.split(',').map((b) => b.trim());
  if (hostList === '' || brokers.some((b) => b === '')) fail('missing broker host:port');
  for (const broker of brokers) {
    const match = BROKER.exec(broker);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) fail(`broker ${JSON.stringify(broker)} is not host:port`);
  }

  const topic = safeDecode(topicPart, fail);
  if (!TOPIC.test(topic) || topic === '.' || topic === '..') {
    fail(`topic ${JSON.stringify(topic)} must be 1-249 ASCII letters, digits, '.', '_' or '-'`);
  }

  const params = new URLSearchParams(query);
  for (const name of params.keys()) {
    if (!PARAMS.has(name)) fail(`unknown parameter ${JSON.stringify(name)} (known: ${[...PARAMS].join(', ')})`);
  }
  const groupId = params.get('group') ?? undefined;
  const clientId = params.get('clientId') ?? undefined;
  if (groupId === '') fail('group must not be empty');
  if (clientId === '') fail('clientId must not be empty');
  if (options.requireGroup && groupId === undefined) fail('reading needs a consumer group: add ?group=NAME');
  const session = params.get('sessionTimeoutMs');
  const sessionTimeoutMs = session === null ? undefined : Number(session);
  if (sessionTimeoutMs !== undefined && !(Number.isInteger(sessionTimeoutMs) && sessionTimeoutMs >= 1000)) {
    fail('sessionTimeoutMs must be an integer ≥ 1000');
  }

  return {
    brokers,
    topic,
    ...(groupId !== undefined && { groupId }),
    ...(clientId !== undefined && { clientId }),
    ...(sessionTimeoutMs !== undefined && { sessionTimeoutMs }),
  };
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}

function safeDecode(text: string, fail: (message: string) => never): string {
  try {
    return decodeURIComponent(text);
  } catch (error) {
    return fail(`topic is not valid percent-encoding: ${error instanceof Error ? error.message : String(error)}`);
  }
}
