#!/usr/bin/env node
// One real Apache Kafka node (KRaft, combined broker + controller) on 127.0.0.1, for tests and local runs. No Docker:
// the broker's jars come from Maven Central (fetch-jars.sh, cached outside the clone) and run on Java 17+.
//
//   node scripts/kafka/broker.mjs     # starts a broker, prints KAFKA_BROKERS=127.0.0.1:<port>, stops on Ctrl-C
//
// Node API (used by scripts/run-tests.mjs and the Kafka tests):
//   startBroker({ log?, version? }) → Promise<{ brokers: string, pid: number, dir: string, stop(): Promise<void> }>
// Plain JavaScript (not TypeScript) so the test runner can use it before tsx is registered; types in broker.d.mts.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, openSync, closeSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';

const here = fileURLToPath(new URL('.', import.meta.url));
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 20_000;
const JVM_OPTIONS = ['-Xms128m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true'];

/** True when `java` and `mvn` can be run (the jars may still need downloading). */
export function canRunBroker() {
  const ok = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
  return ok('java', ['-version']) && ok('mvn', ['-v']);
}

/** Downloads the broker's jars once (see fetch-jars.sh) and returns the directory that holds them. */
export function fetchJars({ version } = {}) {
  const env = version ? { ...process.env, KAFKA_VERSION: version } : process.env;
  const result = spawnSync('bash', [join(here, 'fetch-jars.sh')], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`fetch-jars.sh failed with exit code ${result.status}`);
  return result.stdout.trim();
}

/**
 * Starts one KRaft node on two free ports; resolves once a client can create a topic with a leader. `properties`
 * adds or replaces server properties (e.g. `{ 'group.initial.rebalance.delay.ms': '3000' }`, Kafka's default).
 */
export async function startBroker({ log = () => {}, version, properties = {} } = {}) {
  const libs = fetchJars({ version });
  const dir = mkdtempSync(join(tmpdir(), 'sluice-kafka-'));
  const [port, controllerPort] = await freePorts(2);
  const brokers = `127.0.0.1:${port}`;
  const propsFile = join(dir, 'server.properties');
  writeFileSync(propsFile, serverProperties({ port, controllerPort, logDirs: join(dir, 'data'), extra: properties }));
  writeFileSync(join(dir, 'log4j2.properties'), log4jProperties(join(dir, 'broker.log')));
  const classpath = join(libs, '*');
  const jvm = [...JVM_OPTIONS, `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`, '-cp', classpath];

  const format = spawnSync(
    'java',
    [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', propsFile, '--ignore-formatted'],
    {
      encoding: 'utf8',
    },
  );
  if (format.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`kafka StorageTool format failed (${format.status}): ${format.stderr || format.stdout}`);
  }

  const out = openSync(join(dir, 'stdout.log'), 'a');
  const child = spawn('java', [...jvm, 'kafka.Kafka', propsFile], { stdio: ['ignore', out, out] });
  closeSync(out);
  let exited = false;
  const exit = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal });
    }),
  );
  log(`kafka: broker pid ${child.pid} starting on ${brokers} (data in ${dir})`);

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!exited) child.kill('SIGKILL');
      }, STOP_TIMEOUT_MS);
      await exit;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitReady(brokers, () => exited);
  } catch (error) {
    const tail = tailOf(join(dir, 'broker.log')) || tailOf(join(dir, 'stdout.log'));
    await stop();
    throw new Error(`${error.message}\n--- broker log (tail) ---\n${tail}`);
  }
  log(`kafka: broker ready on ${brokers}`);
  return { brokers, pid: child.pid, dir, stop };
}

/** Ready means: the admin client connects and a topic gets a leader (the controller and broker both work). */
async function waitReady(brokers, hasExited) {
  const kafka = new kafkajs.Kafka({
    clientId: 'sluice-broker-ready',
    brokers: [brokers],
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { retries: 0 },
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError;
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error('kafka broker exited during startup');
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.createTopics({
        topics: [{ topic: '__sluice_ready', numPartitions: 1 }],
        waitForLeaders: true,
        timeout: 10_000,
      });
      const meta = await admin.fetchTopicMetadata({ topics: ['__sluice_ready'] });
      if (meta.topics[0]?.partitions[0]?.leader >= 0) return;
    } catch (error) {
      lastError = error;
    } finally {
      await admin.disconnect().catch((error) => {
        lastError = error;
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(
    `kafka broker not ready on ${brokers} after ${READY_TIMEOUT_MS} ms: ${lastError?.message ?? 'no answer'}`,
  );
}

function serverProperties({ port, controllerPort, logDirs, extra = {} }) {
  // One combined node on 2 shared cores: single replicas, one offsets partition, no initial rebalance delay, and a
  // low minimum session timeout so tests can prove "slower than the session timeout" without waiting minutes.
  // (.properties files have no inline comments.)
  const lines = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${logDirs}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'group.min.session.timeout.ms=1000',
    'num.network.threads=2',
    'num.io.threads=2',
    'background.threads=2',
    'log.cleaner.dedupe.buffer.size=16777216',
  ];
  const replaced = lines.filter((line) => !(line.split('=')[0] in extra));
  return [...replaced, ...Object.entries(extra).map(([key, value]) => `${key}=${value}`), ''].join('\n');
}

function log4jProperties(file) {
  return [
    'status = warn',
    'appender.file.type = File',
    'appender.file.name = FILE',
    `appender.file.fileName = ${file}`,
    'appender.file.layout.type = PatternLayout',
    'appender.file.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.file.ref = FILE',
    '',
  ].join('\n');
}

/** A Kafka cluster id: 16 random bytes, base64url without padding (Kafka's Uuid also avoids a leading '-'). */
function clusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function freePorts(count) {
  const servers = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
      servers.push(server);
    }
    return servers.map((s) => s.address().port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

function tailOf(file, lines = 40) {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

// Run directly: start a broker for manual use and keep it until SIGINT/SIGTERM.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const broker = await startBroker({ log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(`KAFKA_BROKERS=${broker.brokers}\n`);
  const shutdown = () => broker.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
