/**
 * The spending cap of `--budget-usd X`: no request starts unless its worst case fits.
 *
 * Worst case of one request = prompt tokens × input price + max_tokens × output price (the provider can bill no
 * more output than max_tokens). It is RESERVED before the request starts and SETTLED with the real usage when the
 * answer arrives (a failed attempt settles at 0: providers do not bill refused or failed requests). Invariant:
 * spent + reserved ≤ cap at every moment, so the spend never crosses the cap, whatever the concurrency. A request
 * that fits next to the spend but not next to the reservations in flight waits for them to settle (holding its
 * limiter permit meanwhile: the calls it waits for hold their own, so this cannot deadlock).
 *
 * The first refusal trips the guard: `onTrip` listeners run once (the job stops reading; requests in flight finish
 * and are written; refused records are not written and `--resume` does them later). Every later request is refused
 * too, so a smaller request (a record retried alone after a packed call) cannot sneak past a refused one.
 */
import type { Prices } from '../config/prices.ts';
import type { TokenUsage } from '../llm/model-client.ts';

export interface Reservation {
  readonly worstUsd: number;
}

export interface BudgetReport {
  readonly capUsd: number;
  /** Settled spend of this run (real usage × prices). */
  readonly spentUsd: number;
  /** Worst cases reserved by requests still in flight. */
  readonly reservedUsd: number;
  readonly requestsAdmitted: number;
  /** Set once the guard refused a request: its worst case and the settled spend it met. */
  readonly refused?: { readonly worstUsd: number; readonly spentUsd: number };
}

export class BudgetGuard {
  readonly capUsd: number;
  readonly prices: Prices;
  #spent = 0;
  #reserved = 0;
  #admitted = 0;
  #refused: { worstUsd: number; spentUsd: number } | undefined;
  readonly #tripListeners: Array<() => void> = [];
  readonly #settleWaiters: Array<() => void> = [];

  constructor(capUsd: number, prices: Prices) {
    if (!(capUsd >= 0)) throw new RangeError(`budget must be ≥ 0 USD (got ${capUsd})`);
    this.capUsd = capUsd;
    this.prices = prices;
  }

  worstCaseUsd(promptTokens: number, maxTokens: number): number {
    return (promptTokens * this.prices.inputPer1M + maxTokens * this.prices.outputPer1M) / 1e6;
  }

  usageUsd(usage: TokenUsage): number {
    return (usage.inputTokens * this.prices.inputPer1M + usage.outputTokens * this.prices.outputPer1M) / 1e6;
  }

  get tripped(): boolean {
    return this.#refused !== undefined;
  }

  /**
   * A reservation for a request whose worst case is `worstUsd`. When it fits next to the spend but not next to
   * the spend plus the reservations in flight, it waits for them to settle (they usually cost far less than their
   * worst case). Undefined when it cannot fit even with nothing in flight: refused, and the guard trips.
   */
  async reserve(worstUsd: number, signal: AbortSignal): Promise<Reservation | undefined> {
    for (;;) {
      if (this.#refused || this.#spent + worstUsd > this.capUsd) {
        if (!this.#refused) {
          this.#refused = { worstUsd, spentUsd: this.#spent };
          for (const listener of this.#tripListeners.splice(0)) listener();
        }
        return undefined;
      }
      if (this.#spent + this.#reserved + worstUsd <= this.capUsd) {
        this.#reserved += worstUsd;
        this.#admitted++;
        return { worstUsd };
      }
      await this.#nextSettle(signal);
    }
  }

  #nextSettle(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#settleWaiters.push(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /** Ends a reservation with what the request really cost (zero usage for a failed attempt). */
  settle(reservation: Reservation, usage: TokenUsage): void {
    this.#reserved = Math.max(0, this.#reserved - reservation.worstUsd);
    this.#spent += this.usageUsd(usage);
    for (const wake of this.#settleWaiters.splice(0)) wake();
  }

  onTrip(listener: () => void): void {
    if (this.#refused) listener();
    else this.#tripListeners.push(listener);
  }

  report(): BudgetReport {
    return {
      capUsd: this.capUsd,
      spentUsd: this.#spent,
      reservedUsd: this.#reserved,
      requestsAdmitted: this.#admitted,
      ...(this.#refused && { refused: { ...this.#refused } }),
    };
  }
}
