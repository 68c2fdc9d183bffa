/**
 * Kafka source: a consumer-group member whose messages become envelopes, committed at-least-once.
 *
 * Contract (an `EnvelopeSource`, sources/source.ts; see docs/kafka.md and docs/architecture.md, "Envelopes and the ack flow"):
 * - Envelope value = the message value as UTF-8 text (a tombstone is ''), raw = the same text, id =
 *   `topic-partition-offset` (or the `idField` of the JSON value when given and usable), meta = `{ kind: 'kafka',
 *   topic, partition, offset, headers }`. The parse stage turns the text into a record.
 * - `eachBatch` stays short: it hands messages to a bounded queue that the async iterable drains and returns, so
 *   kafkajs keeps heartbeating while model calls take longer than the session timeout.
 * - At most `maxInFlight` messages are fetched and not yet acked (queued or downstream). At that mark eachBatch
 *   waits up to 500 ms for room (heartbeating), then pauses the topic and returns; fetching resumes once in-flight
 *   falls to half of it. Un-queued messages of a batch are not resolved, so kafkajs fetches them again.
 * - Commits (autoCommit off) carry, per partition, the position below which every fetched message is acked
 *   (OffsetTracker), every `commitIntervalMs` and once more at `close()`.
 * - A rebalance (REBALANCING or GROUP_JOIN) first commits what is acked (REBALANCING only: the member is still in
 *   the old generation), then starts a new tracker generation: completions of the old one are never committed, and
 *   messages still queued from it are dropped (kafkajs restarts every assigned partition from its committed offset,
 *   so they come again to whoever owns them). Those already handed out are `superseded`: a model call not yet
 *   started for them does not start. Duplicates are possible (calls in flight and answers not yet written at the
 *   rebalance); losses are not.
 * - `stop()` (or the iterator's `return()`, or `signal`) ends the iterable at once: queued messages are left
 *   unacked, so they are not committed and will be read again. `close()` commits what was acked and disconnects.
 */
import type { Context } from '@opentelemetry/api';
import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { createEnvelope, type Envelope } from '../core/envelope.ts';
import { recordId } from '../stages/parse-json.ts';
import { createKafkaClient, headersToStrings } from './kafka-client.ts';
import { OffsetTracker } from './kafka-offset-tracker.ts';
import type { EnvelopeSource } from './source.ts';
import { injectTraceContext, startKafkaBatchSpan } from '../telemetry/run-span.ts';

export interface KafkaSourceOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly groupId: string;
  readonly clientId?: string;
  /** Fetched-but-unacked messages allowed at once: the backpressure window (≥ 1). */
  readonly maxInFlight: number;
  /** How often acked offsets are committed. Default 1000: what a crash may redo is about this much work. */
  readonly commitIntervalMs?: number;
  /** When set, a JSON value's field of that name becomes the envelope id (the parse stage does the same). */
  readonly idField?: string;
  /** sluice's own lines (group joins, failed commits). kafkajs' log goes to `clientLog` (kafka-client.ts). */
  readonly logger?: (line: string) => void;
  readonly clientLog?: (line: string) => void;
  readonly signal?: AbortSignal;
  /** Group session timeout. Default 30000 (kafkajs' default). */
  readonly sessionTimeoutMs?: number;
  /** Rebalance timeout (kafkajs' default 60000). */
  readonly rebalanceTimeoutMs?: number;
  /** Default: a tenth of the session timeout, at most 3000. */
  readonly heartbeatIntervalMs?: number;
  /** Broker long-poll wait, and the sleep between fetch rounds while paused. Default 200. */
  readonly fetchMaxWaitMs?: number;
  /** A group without committed offsets starts at the earliest message (true, default) or the latest. */
  readonly fromBeginning?: boolean;
  /** The run span's context: each fetched batch gets a `process {topic}` span linked to it (no-op without an SDK). */
  readonly runContext?: Context;
}

export interface KafkaSourceStatus {
  /** Rebalances seen by this member (the tracker generation). */
  readonly generation: number;
  /** Times this member joined the group (1 for a run without rebalances). */
  readonly groupJoins: number;
  /** The partitions assigned at the last join, by topic. */
  readonly assignment: Readonly<Record<string, readonly number[]>>;
  readonly inFlight: number;
  readonly paused: boolean;
  /** Successful offset commits. */
  readonly commits: number;
}

export interface KafkaSource {
  readonly source: EnvelopeSource;
  /**
   * Connects and subscribes (rejects when the broker cannot be reached or the topic does not exist). Optional: the
   * first read does it; a job calls it before touching any file, so such a failure changes nothing.
   */
  connect(): Promise<void>;
  /** Stop fetching; the iterable ends (queued, unyielded messages stay uncommitted). Idempotent. */
  stop(): void;
  /** Final commit of acked offsets, then leave the group and disconnect. Call after the pipeline settled. */
  close(): Promise<void>;
  /** Commit acked offsets now (also runs every `commitIntervalMs`). */
  commit(): Promise<void>;
  status(): KafkaSourceStatus;
}

/** How long a full window may hold eachBatch before the topic is paused instead (well below any session timeout). */
const ROOM_WAIT_MS = 500;

interface Queued {
  readonly generation: number;
  readonly envelope: Envelope<string>;
}

export function createKafkaSource(options: KafkaSourceOptions): KafkaSource {
  const { topic, maxInFlight } = options;
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1)
    throw new RangeError(`maxInFlight must be an integer ≥ 1, got ${maxInFlight}`);
  const log = options.logger ?? (() => undefined);
  const sessionTimeout = options.sessionTimeoutMs ?? 30_000;
  const lowWater = Math.floor(maxInFlight / 2);
  const consumer: Consumer = createKafkaClient(options).consumer({
    groupId: options.groupId,
    sessionTimeout,
    // How long the coordinator waits for members to rejoin in a rebalance; a member that died without leaving
    // (SIGKILL) holds its partitions until then. eachBatch is short, so live members rejoin quickly.
    rebalanceTimeout: options.rebalanceTimeoutMs ?? 60_000,
    heartbeatInterval: options.heartbeatIntervalMs ?? Math.min(3000, Math.floor(sessionTimeout / 10)),
    // The broker's long-poll wait, and how long kafkajs sleeps between rounds while every partition is paused:
    // it bounds how late fetching restarts after a resume (a fast pipeline would starve for it at each pause).
    maxWaitTimeInMs: options.fetchMaxWaitMs ?? 200,
  });
  const tracker = new OffsetTracker();
  const queue: Queued[] = [];
  const waiters: Array<() => void> = [];
  let started: Promise<void> | undefined;
  let connecting: Promise<void> | undefined;
  let running = false;
  let stopped = false;
  let paused = false;
  let failure: Error | undefined;
  let commitTimer: NodeJS.Timeout | undefined;
  let committing: Promise<void> = Promise.resolve();
  let groupJoins = 0;
  let commits = 0;
  let assignment: Record<string, number[]> = {};
  let roomWaiter: (() => void) | undefined;

  const wake = () => waiters.splice(0).forEach((resolve) => resolve());

  const onRebalance = () => {
    tracker.newGeneration();
    // Drop what was queued from the old generation: its ack only frees the window, it commits nothing.
    for (const item of queue.splice(0)) item.envelope.ack();
  };
  /**
   * What this member finished is committed the moment it learns of a rebalance, before it gives up its partitions:
   * kafkajs has no revoke callback, and without this the new owners redid everything acked since the last periodic
   * commit. Sent synchronously from the REBALANCING event, which kafkajs emits right before rejoining: the commit
   * carries the current generation, which the coordinator accepts while the group prepares the rebalance, and it
   * goes out before the JoinGroup (kafkajs first looks the coordinator up, a round trip). Calls still in flight, and
   * answers not yet written, are not covered: their records are the duplicates (docs/kafka.md, "Rebalances").
   */
  const commitBeforeRebalance = () => {
    if (!running) return;
    const pending = tracker.pending();
    if (pending.offsets.length === 0) return;
    // Handled at once (a rejection left unhandled while a periodic commit is still in flight would crash the process).
    const sent = consumer.commitOffsets(pending.offsets.map((o) => ({ ...o }))).then(
      () => true,
      (error: unknown) => {
        log(
          `kafka: the commit before the rebalance failed (the new owners redo those records): ${error instanceof Error ? error.message : String(error)}`,
        );
        return false;
      },
    );
    committing = committing.then(async () => {
      if (!(await sent)) return;
      commits++;
      log(
        `kafka: committed before the rebalance: ${pending.offsets.map((o) => `${o.partition}@${o.offset}`).join(', ')}`,
      );
    });
  };
  consumer.on(consumer.events.REBALANCING, () => {
    commitBeforeRebalance();
    onRebalance();
  });
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    onRebalance();
    groupJoins++;
    // Whether kafkajs kept a pause across the join (it does not after a crash restart) is not ours to guess:
    // start the new generation unpaused; eachBatch pauses again while the window is still full.
    if (paused && !stopped) {
      paused = false;
      consumer.resume([{ topic }]);
    }
    assignment = event.payload.memberAssignment;
    log(
      `kafka: joined group ${options.groupId} (join ${groupJoins} of this process), partitions ${JSON.stringify(assignment)}`,
    );
  });
  consumer.on(consumer.events.CRASH, (event) => {
    if (event.payload.restart) return; // kafkajs restarts the consumer itself; GROUP_JOIN follows.
    failure = event.payload.error;
    wake();
  });

  const pauseFetching = () => {
    if (paused || !running) return;
    paused = true;
    consumer.pause([{ topic }]);
  };
  const afterAck = () => {
    if (roomWaiter && tracker.inFlight < maxInFlight) roomWaiter();
    if (paused && !stopped && tracker.inFlight <= lowWater) {
      paused = false;
      consumer.resume([{ topic }]);
    }
  };

  /**
   * `batchTrace`: the batch span's W3C headers. A message without its own `traceparent` gets them, so its model
   * call nests under the batch span and its output message carries that trace; a message with one keeps it (its
   * call continues the upstream trace, which the batch span links).
   */
  const toEnvelope = (
    partition: number,
    message: KafkaMessage,
    batchTrace: Record<string, string>,
  ): Envelope<string> => {
    const text = message.value?.toString('utf8') ?? '';
    const ack = tracker.track(topic, partition, message.offset);
    const generation = tracker.generation;
    const own = headersToStrings(message.headers);
    const headers =
      own.traceparent === undefined && batchTrace.traceparent !== undefined ? { ...own, ...batchTrace } : own;
    return createEnvelope({
      id: idOf(text, options.idField) ?? `${topic}-${partition}-${message.offset}`,
      value: text,
      raw: text,
      meta: { kind: 'kafka', topic, partition, offset: message.offset, headers },
      ack: () => {
        ack();
        afterAck();
      },
      // After a rebalance kafkajs restarts every assigned partition from its committed offset: the record comes
      // again to whoever owns it, so a call not yet started for this copy would be paid twice.
      superseded: () => generation !== tracker.generation,
    });
  };

  /** Resolves true once an ack made room in the window, false after `ms` without room. */
  const waitForRoom = (ms: number) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        roomWaiter = undefined;
        resolve(false);
      }, ms);
      roomWaiter = () => {
        clearTimeout(timer);
        roomWaiter = undefined;
        resolve(true);
      };
    });

  const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
    const generation = tracker.generation;
    const batchSpan = startKafkaBatchSpan({
      topic,
      partition: batch.partition,
      messageHeaders: batch.messages.map((m) => headersToStrings(m.headers)),
      consumerGroup: options.groupId,
      runContext: options.runContext,
    });
    const batchTrace = injectTraceContext(batchSpan.context);
    // The span covers the hand-off; the calls it parents run (and end) later, as batch processing does.
    try {
      await handOff(batch, batchTrace, generation, resolveOffset, heartbeat, isRunning, isStale);
    } finally {
      batchSpan.end();
    }
  };

  const handOff = async (
    batch: EachBatchPayload['batch'],
    batchTrace: Record<string, string>,
    generation: number,
    resolveOffset: EachBatchPayload['resolveOffset'],
    heartbeat: EachBatchPayload['heartbeat'],
    isRunning: EachBatchPayload['isRunning'],
    isStale: EachBatchPayload['isStale'],
  ) => {
    for (const message of batch.messages) {
      if (stopped || !isRunning() || isStale() || generation !== tracker.generation) break;
      if (tracker.inFlight >= maxInFlight) {
        // Window full. A fast pipeline frees room within moments: wait briefly (fetching again after a pause
        // costs up to fetchMaxWaitMs). A slow one (model calls of seconds) does not: pause and return at once,
        // so eachBatch stays short and kafkajs heartbeats and rebalances freely.
        wake();
        const room = await waitForRoom(ROOM_WAIT_MS);
        await heartbeat(); // throws when a rebalance started: kafkajs then rejoins
        if (!room) {
          pauseFetching();
          break;
        }
        if (stopped || !isRunning() || isStale() || generation !== tracker.generation) break;
      }
      queue.push({ generation, envelope: toEnvelope(batch.partition, message, batchTrace) });
      resolveOffset(message.offset);
    }
    wake();
    await heartbeat();
  };

  const connect = (): Promise<void> =>
    (connecting ??= (async () => {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: options.fromBeginning ?? true });
    })());

  const start = async () => {
    await connect();
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch });
    running = true;
    if (stopped) consumer.pause([{ topic }]);
    commitTimer = setInterval(() => void commit(), options.commitIntervalMs ?? 1000);
    commitTimer.unref();
  };

  /** One commit at a time; a failed commit is logged and retried by the next one (nothing is lost, see top). */
  const commit = (): Promise<void> => {
    committing = committing.then(async () => {
      if (!running) return;
      const pending = tracker.pending();
      if (pending.offsets.length === 0) return;
      try {
        await consumer.commitOffsets(pending.offsets.map((o) => ({ ...o })));
        tracker.markCommitted(pending);
        commits++;
      } catch (error) {
        log(`kafka: offset commit failed, will retry: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    return committing;
  };

  const stop = () => {
    if (stopped) return;
    stopped = true;
    if (running) consumer.pause([{ topic }]);
    queue.length = 0;
    wake();
  };
  options.signal?.addEventListener('abort', stop, { once: true });

  const iterator: AsyncIterator<Envelope<string>> = {
    async next() {
      if (stopped) return { done: true, value: undefined };
      started ??= start();
      await started;
      for (;;) {
        if (failure) throw failure;
        if (stopped) return { done: true, value: undefined };
        const item = queue.shift();
        if (item) {
          if (item.generation !== tracker.generation) {
            item.envelope.ack(); // revoked before it was handed out: frees the window only
            continue;
          }
          return { done: false, value: item.envelope };
        }
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    async return() {
      stop();
      return { done: true, value: undefined };
    },
  };

  return {
    source: { [Symbol.asyncIterator]: () => iterator },
    connect,
    stop,
    commit,
    async close() {
      stop();
      if (commitTimer) clearInterval(commitTimer);
      options.signal?.removeEventListener('abort', stop);
      if (started) {
        await started.catch((error: unknown) => log(`kafka: consumer had failed to start: ${String(error)}`));
        await commit();
      }
      running = false;
      await consumer.disconnect();
    },
    status: () => ({
      generation: tracker.generation,
      groupJoins,
      assignment,
      inFlight: tracker.inFlight,
      paused,
      commits,
    }),
  };
}

function idOf(text: string, idField: string | undefined): string | undefined {
  if (!idField || !text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? recordId(value as Record<string, unknown>, idField, text)
      : undefined;
  } catch {
    return undefined; // not JSON: the parse stage dead-letters it with the position id
  }
}
