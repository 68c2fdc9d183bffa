/**
 * At most `capacity` requests run at once; the rest wait in FIFO order (vLLM's scheduler queue). `acquire` returns
 * undefined when a slot is free now (the hot path allocates nothing), else a promise resolved in arrival order.
 * Every acquire must be paired with exactly one release.
 */
export class RunQueue {
  private running = 0;
  private readonly waiters: Array<() => void> = [];
  private head = 0;

  constructor(private readonly capacity: number) {}

  get runningCount(): number {
    return this.running;
  }

  get waitingCount(): number {
    return this.waiters.length - this.head;
  }

  acquire(): Promise<void> | undefined {
    if (this.running < this.capacity && this.waitingCount === 0) {
      this.running++;
      return undefined;
    }
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    if (this.waitingCount > 0) {
      const next = this.waiters[this.head];
      this.waiters[this.head++] = noop;
      if (this.head > 1024 && this.head * 2 > this.waiters.length) {
        this.waiters.splice(0, this.head);
        this.head = 0;
      }
      next?.(); // the slot passes straight to the next waiter: running stays the same
      return;
    }
    this.running--;
  }
}

function noop(): void {}
