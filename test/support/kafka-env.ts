/**
 * Where the Kafka integration tests find their broker, and whether they run.
 *
 * `npm test` (scripts/run-tests.mjs) starts one real broker for the run and exports KAFKA_BROKERS. Without it:
 * in CI (CI=true) the tests fail loudly; elsewhere they are skipped with a message saying how to run them.
 */
import { randomBytes } from 'node:crypto';

const HOW_TO_RUN =
  'Kafka tests skipped: no KAFKA_BROKERS. Run them with Java 17+ and Maven installed (`npm test` then starts a broker: ' +
  'node scripts/kafka/broker.mjs), or point KAFKA_BROKERS=host:port at a running broker.';

/** The broker list, or undefined when the tests must be skipped. Throws in CI, where they must run. */
export function kafkaBrokers(): string[] | undefined {
  const value = process.env.KAFKA_BROKERS;
  if (value) return value.split(',').map((b) => b.trim());
  if (process.env.CI === 'true')
    throw new Error('CI=true but KAFKA_BROKERS is not set: the Kafka tests must run in CI');
  return undefined;
}

/** For `describe(name, { skip: kafkaSkip() }, ...)`: false when a broker is there, else the reason (printed). */
export function kafkaSkip(): string | false {
  if (kafkaBrokers()) return false;
  process.stderr.write(`${HOW_TO_RUN}\n`);
  return HOW_TO_RUN;
}

/** A topic or group name no other test (or earlier run against the same broker) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
