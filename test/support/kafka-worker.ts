/**
 * A consumer-group member in its own process, for the tests that SIGKILL one or run several:
 *
 *   node --import tsx test/support/kafka-worker.ts '<KafkaJobConfig as JSON>'
 *
 * Prints JSON lines on stdout: `{"event":"joined","assignment":{...},"generation":N}` after each group join and
 * `{"event":"closed","recordsIn":N,"recordsOut":N,"groupJoins":N}` after a clean shutdown. SIGTERM stops reading,
 * lets what is inside finish, commits and exits 0 — the graceful path; SIGKILL is the crash path.
 */
import { startKafkaJob, type KafkaJobConfig } from './kafka-pipeline.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as KafkaJobConfig;
const emit = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
const started = Date.now();
const job = startKafkaJob(config, (line) =>
  process.stderr.write(`worker ${process.pid} +${Date.now() - started}ms: ${line}\n`),
);

let joins = 0;
const watch = setInterval(() => {
  const status = job.source.status();
  if (status.groupJoins !== joins) {
    joins = status.groupJoins;
    emit({ event: 'joined', assignment: status.assignment, generation: status.generation, pid: process.pid });
  }
}, 50);

process.once('SIGTERM', () => job.source.stop());

try {
  await job.done;
  const status = job.source.status();
  emit({
    event: 'closed',
    recordsIn: job.stats.recordsIn,
    recordsOut: job.stats.recordsOut,
    groupJoins: status.groupJoins,
    commits: status.commits,
  });
} finally {
  clearInterval(watch);
}
