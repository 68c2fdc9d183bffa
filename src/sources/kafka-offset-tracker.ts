/**
 * Which Kafka offsets may be committed: pure bookkeeping, no I/O, no clock.
 *
 * Contract (at-least-once, see docs/architecture.md, "Envelopes and the ack flow"):
 * - Every fetched message is `track`ed, in fetch order, before it is handed downstream; its ack comes back from
 *   the sink after a durable write, in any order.
 * - Per partition, the commit position is `o + 1` where `o` is the highest tracked offset such that it and every
 *   offset tracked before it are acked. Kafka offsets need not be contiguous (compaction, transaction markers),
 *   so "every lower offset" means every lower offset that was fetched, not every integer.
 * - A rebalance starts a new generation (`newGeneration`): all partition state is forgotten, because kafkajs
 *   restarts every assigned partition from its committed offset, and a partition may now belong to another
 *   member. Acks of older generations only lower `inFlight`; they never make anything committable. Duplicates
 *   are allowed after a rebalance; losses are not.
 * - `inFlight` counts tracked-but-unacked messages of all generations: the source's backpressure window.
 */

export interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  /** The offset to commit: the next one to read (last completed + 1), as Kafka expects. */
  readonly offset: string;
}

export interface PendingCommit {
  readonly generation: number;
  readonly offsets: readonly PartitionOffset[];
}

interface Entry {
  readonly offset: bigint;
  acked: boolean;
}

/** Fetched offsets of one partition, oldest first; the acked prefix is popped as it completes. */
class PartitionState {
  private readonly entries: Entry[] = [];
  private head = 0;
  /** Next offset to commit (last completed + 1), or undefined while nothing completed this generation. */
  completed: bigint | undefined;
  committed: bigint | undefined;
  private last: bigint | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  add(offset: bigint): Entry {
    if (this.last !== undefined && offset <= this.last) {
      throw new Error(
        `offset ${offset} of ${this.topic}/${this.partition} tracked after ${this.last}: offsets must increase`,
      );
    }
    this.last = offset;
    const entry: Entry = { offset, acked: false };
    this.entries.push(entry);
    return entry;
  }

  /** Pops the acked prefix, moving `completed` forward. */
  advance(): void {
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head];
      if (!entry?.acked) break;
      this.completed = entry.offset + 1n;
      this.head++;
    }
    // Compact now and then so the array does not grow with the partition's history.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }

  get pending(): number {
    return this.entries.length - this.head;
  }
}

export class OffsetTracker {
  private partitions = new Map<string, PartitionState>();
  private currentGeneration = 0;
  private unacked = 0;

  /** Tracked messages not yet acked, of every generation. */
  get inFlight(): number {
    return this.unacked;
  }

  get generation(): number {
    return this.currentGeneration;
  }

  /**
   * Registers a fetched message of the current generation and returns its ack (idempotent). Offsets of one
   * partition must be tracked in increasing order.
   */
  track(topic: string, partition: number, offset: string): () => void {
    const state = this.stateOf(topic, partition);
    const entry = state.add(BigInt(offset));
    const generation = this.currentGeneration;
    this.unacked++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.unacked--;
      entry.acked = true;
      // A message of an older generation only leaves the window: its partition state is gone.
      if (generation === this.currentGeneration) state.advance();
    };
  }

  /** Offsets that moved past their last commit, per partition of the current generation. */
  pending(): PendingCommit {
    const offsets: PartitionOffset[] = [];
    for (const state of this.partitions.values()) {
      if (state.completed === undefined) continue;
      if (state.committed !== undefined && state.committed >= state.completed) continue;
      offsets.push({ topic: state.topic, partition: state.partition, offset: state.completed.toString() });
    }
    return { generation: this.currentGeneration, offsets };
  }

  /** Records a successful commit of `pending()`'s result; ignored when a rebalance happened in between. */
  markCommitted(commit: PendingCommit): void {
    if (commit.generation !== this.currentGeneration) return;
    for (const { topic, partition, offset } of commit.offsets) {
      const state = this.partitions.get(key(topic, partition));
      if (!state) continue;
      const value = BigInt(offset);
      if (state.committed === undefined || value > state.committed) state.committed = value;
    }
  }

  /** A rebalance (group join) happened: forget every partition; returns the new generation number. */
  newGeneration(): number {
    this.partitions = new Map();
    return ++this.currentGeneration;
  }

  /** Un-acked messages of one partition in the current generation (for diagnostics and tests). */
  pendingIn(topic: string, partition: number): number {
    return this.partitions.get(key(topic, partition))?.pending ?? 0;
  }

  private stateOf(topic: string, partition: number): PartitionState {
    const k = key(topic, partition);
    let state = this.partitions.get(k);
    if (!state) {
      state = new PartitionState(topic, partition);
      this.partitions.set(k, state);
    }
    return state;
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
