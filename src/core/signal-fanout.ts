/**
 * Per-record abort signals from one shared signal, at O(1) per record.
 *
 * Why: Node's EventTarget checks every `addEventListener` against the listeners already registered (a linked-list
 * walk to drop duplicates), and `removeEventListener` walks the list too. When every record of llm-map's window
 * registers its own listeners (permit wait, per-attempt deadline, backoff) on ONE stage signal, each registration
 * costs O(window), so a window costs O(window²). Measured in-process on the CLI's job (undici client, `null`
 * simulator, 20k records): with the default window (1,024) the difference is within noise — `addEventListener`
 * tops the CPU profile (≈ 8 %), but an AbortController per record costs about as much; with `--max-concurrency 2000`
 * (window 8,000) the per-record children cut CPU per record from 636–712 µs to 379–506 µs. A child per record takes
 * those listeners instead, and this class holds the children in a Set with one listener on the parent.
 *
 * Contract: `child()` returns a signal that aborts (with the parent's reason) when the parent aborts — at once if
 * it already has — and `release()` drops it; call `release()` exactly once, when the record AND everything it
 * handed the signal to are done with it (every listener removed). A released child that never aborted and carries
 * no listener is reused by a later `child()`: an AbortController costs as much to create as the listener walk it
 * saves (the profile above), so the pool keeps the fan-out's own cost near zero. Nothing accumulates over a long
 * run: the pool never holds more children than were out at once.
 */
import { getEventListeners } from 'node:events';

export class SignalFanout {
  readonly #parent: AbortSignal;
  readonly #children = new Set<AbortController>();
  /** Released, never-aborted children without listeners, ready for reuse. */
  readonly #spare: AbortController[] = [];

  constructor(parent: AbortSignal) {
    this.#parent = parent;
    if (!parent.aborted) parent.addEventListener('abort', () => this.#abortAll(), { once: true });
  }

  child(): { readonly signal: AbortSignal; release(): void } {
    const controller = this.#spare.pop() ?? new AbortController();
    if (this.#parent.aborted) controller.abort(this.#parent.reason);
    else this.#children.add(controller);
    return { signal: controller.signal, release: () => this.#release(controller) };
  }

  #release(controller: AbortController): void {
    if (!this.#children.delete(controller)) return; // released twice, or the parent aborted it
    if (getEventListeners(controller.signal, 'abort').length === 0) this.#spare.push(controller);
  }

  /** Children not yet released (for tests and leak checks). */
  get size(): number {
    return this.#children.size;
  }

  #abortAll(): void {
    const reason = this.#parent.reason;
    for (const controller of this.#children) controller.abort(reason);
    this.#children.clear();
    this.#spare.length = 0;
  }
}
