/**
 * The simulator's batches and their life cycle, as OpenAI's Batch API reports it:
 *
 *   validating ──▶ in_progress ──▶ finalizing ──▶ completed
 *        │              │  └──(window over)──▶ expired      (what ran is in the output file, the rest batch_expired)
 *        │              └──(cancel)──▶ cancelling ──▶ cancelled   (likewise, batch_cancelled)
 *        └──▶ failed   (the input file is invalid, or token_limit_exceeded: the model's enqueued tokens are full)
 *
 * Time is computed, not scheduled: every transition happens at a moment fixed by the profile (validation
 * `batchValidateS`, `batchRequestsPerS` requests per second, finalization `batchFinalizeS`, the completion window
 * `batchWindowS`, cancellation `batchCancelS`; model seconds, divided by the time scale), and `advance(now)` applies
 * every transition due by `now` in time order before any request is answered. So a batch's outcome does not depend
 * on when clients poll: an expired batch has run exactly ⌊(window − validation) × rate⌋ requests.
 *
 * Enqueued tokens: a batch's prompt tokens (chars/4) count against `batchEnqueuedTokens` (per model) while it is
 * in_progress; a batch whose validation ends while they would pass the limit fails with `token_limit_exceeded`
 * (OpenAI answers the creation itself with 200 and reports this in the failed batch's `errors`).
 */
import { createRng, type Rng } from '../rng.ts';
import type { ProfileParams } from '../profiles.ts';
import { readBatchInput, type BatchError } from './batch-input.ts';
import { executeLines, unfinishedLine } from './batch-lines.ts';
import { batchObject, type SimBatch } from './batch-object.ts';
import { emptyBatchStats, type BatchSimStats } from './batch-stats.ts';
import { FileStore } from './file-store.ts';

export interface BatchStoreOptions {
  readonly params: ProfileParams;
  readonly timeScale: number;
  readonly seed: number;
  /** Real clock in ms (monotonic). */
  readonly nowMs: () => number;
  /** Wall clock in ms (for Unix timestamps). */
  readonly wallMs: () => number;
}

export class BatchStore {
  readonly files = new FileStore();
  readonly #batches = new Map<string, SimBatch>();
  readonly #options: BatchStoreOptions;
  readonly #wallAtStart: number;
  readonly #clockAtStart: number;
  #seq = 0;
  #stats: BatchSimStats = emptyBatchStats();
  readonly #answered = new Set<string>();

  constructor(options: BatchStoreOptions) {
    this.#options = options;
    this.#clockAtStart = options.nowMs();
    this.#wallAtStart = options.wallMs();
  }

  get stats(): BatchSimStats {
    return { ...this.#stats, batchesByStatus: { ...this.#stats.batchesByStatus }, faults: { ...this.#stats.faults } };
  }

  resetStats(): void {
    this.#stats = emptyBatchStats();
    this.#answered.clear();
  }

  countUpload(): void {
    this.#stats.filesUploaded++;
  }

  /** Unix seconds of a real-clock moment. */
  unixSeconds(ms: number = this.#options.nowMs()): number {
    return Math.floor((this.#wallAtStart + (ms - this.#clockAtStart)) / 1000);
  }

  create(input: {
    inputFileId: string;
    endpoint: string;
    completionWindow: string;
    metadata: Record<string, string> | null;
  }): SimBatch {
    const now = this.#options.nowMs();
    this.advance(now);
    const seq = ++this.#seq;
    const batch: SimBatch = {
      id: `batch_sim${seq.toString(36).padStart(6, '0')}`,
      seq,
      ...input,
      status: 'validating',
      model: undefined,
      createdMs: now,
      validateEndMs: now + this.#realMs(this.#options.params.batchValidateS),
      expiresMs: now + this.#realMs(this.#options.params.batchWindowS),
      inProgressMs: Infinity,
      completeMs: Infinity,
      finalizeEndMs: Infinity,
      cancelEndMs: Infinity,
      stamps: {
        created_at: this.unixSeconds(now),
        expires_at: this.unixSeconds(now + this.#realMs(this.#options.params.batchWindowS)),
      },
      outcomes: undefined,
      failedBefore: undefined,
      tokens: 0,
      doneCount: 0,
      errors: undefined,
      outputFileId: undefined,
      errorFileId: undefined,
    };
    this.#batches.set(batch.id, batch);
    this.#stats.batchesCreated++;
    return batch;
  }

  get(id: string): SimBatch | undefined {
    this.advance(this.#options.nowMs());
    return this.#batches.get(id);
  }

  /** Newest first, as `GET /v1/batches` lists them. */
  list(): SimBatch[] {
    this.advance(this.#options.nowMs());
    return [...this.#batches.values()].sort((a, b) => b.seq - a.seq);
  }

  /** Starts cancelling; false when the batch is past cancelling (failed, completed, expired, cancelled). */
  cancel(batch: SimBatch): boolean {
    const now = this.#options.nowMs();
    this.advance(now);
    if (batch.status === 'cancelling') return true;
    if (batch.status !== 'validating' && batch.status !== 'in_progress') return false;
    batch.doneCount = batch.status === 'in_progress' ? this.#ranBy(batch, now) : 0;
    batch.status = 'cancelling';
    batch.stamps.cancelling_at = this.unixSeconds(now);
    batch.cancelEndMs = now + this.#realMs(this.#options.params.batchCancelS);
    return true;
  }

  /** OpenAI's `batch` object as it stands now. */
  objectOf(batch: SimBatch): Record<string, unknown> {
    return batchObject(batch, this.#requestCounts(batch));
  }

  /** Applies every transition due by `now`, earliest first (a validation's token check sees the batches running then). */
  advance(now: number): void {
    while (true) {
      let due: SimBatch | undefined;
      let at = Infinity;
      for (const batch of this.#batches.values()) {
        const t = this.#nextEventMs(batch);
        if (t <= now && t < at) {
          at = t;
          due = batch;
        }
      }
      if (!due) return;
      this.#step(due, at);
    }
  }

  #nextEventMs(b: SimBatch): number {
    switch (b.status) {
      case 'validating':
        return b.validateEndMs;
      case 'in_progress':
        return Math.min(b.completeMs, b.expiresMs);
      case 'finalizing':
        return b.finalizeEndMs;
      case 'cancelling':
        return b.cancelEndMs;
      default:
        return Infinity;
    }
  }

  #step(b: SimBatch, t: number): void {
    const p = this.#options.params;
    if (b.status === 'validating') return this.#validate(b, t);
    if (b.status === 'in_progress') {
      const total = b.outcomes?.length ?? 0;
      if (b.completeMs <= b.expiresMs) {
        b.status = 'finalizing';
        b.doneCount = total;
        b.stamps.finalizing_at = this.unixSeconds(t);
        b.finalizeEndMs = t + this.#realMs(p.batchFinalizeS);
        return;
      }
      b.doneCount = this.#ranBy(b, b.expiresMs);
      this.#finish(b, 'expired', t);
      return;
    }
    if (b.status === 'finalizing') return this.#finish(b, 'completed', t);
    if (b.status === 'cancelling') return this.#finish(b, 'cancelled', t);
  }

  #validate(b: SimBatch, t: number): void {
    const p = this.#options.params;
    const file = this.files.get(b.inputFileId);
    const input = file
      ? readBatchInput(file.content, {
          endpoint: b.endpoint,
          maxRequests: p.batchMaxRequests,
          maxBytes: p.batchMaxFileBytes,
        })
      : {
          lines: [],
          errors: [
            {
              code: 'file_not_found',
              message: `The input file ${b.inputFileId} no longer exists.`,
              param: 'input_file_id',
              line: null,
            },
          ],
          model: undefined,
          tokens: 0,
        };
    b.model = input.model;
    if (input.errors.length > 0) return this.#fail(b, input.errors, t);
    const enqueued = [...this.#batches.values()]
      .filter((o) => o.status === 'in_progress' && o.model === input.model)
      .reduce((n, o) => n + o.tokens, 0);
    if (p.batchEnqueuedTokens > 0 && enqueued + input.tokens > p.batchEnqueuedTokens) {
      this.#stats.tokenLimitFailures++;
      const message =
        `Enqueued token limit reached for ${input.model ?? 'the model'} in organization ${p.org}. Limit: ${p.batchEnqueuedTokens.toLocaleString('en-US')} enqueued tokens. ` +
        'Please try again once some in_progress batches have been completed.';
      return this.#fail(b, [{ code: 'token_limit_exceeded', message, param: null, line: null }], t);
    }
    b.status = 'in_progress';
    b.tokens = input.tokens;
    b.inProgressMs = t;
    b.stamps.in_progress_at = this.unixSeconds(t);
    b.outcomes = executeLines(input.lines, {
      params: p,
      rng: this.#rngFor(b),
      faults: this.#stats.faults,
      idPrefix: b.id.slice('batch_'.length),
      created: this.unixSeconds(t),
    });
    b.failedBefore = new Int32Array(b.outcomes.length + 1);
    b.outcomes.forEach((o, i) => (b.failedBefore![i + 1] = b.failedBefore![i]! + (o.ok ? 0 : 1)));
    const perMs = this.#requestsPerMs();
    b.completeMs = perMs > 0 ? t + b.outcomes.length / perMs : b.outcomes.length === 0 ? t : Infinity;
  }

  #fail(b: SimBatch, errors: BatchError[], t: number): void {
    b.status = 'failed';
    b.errors = errors;
    b.stamps.failed_at = this.unixSeconds(t);
    this.#countEnd('failed');
  }

  /** Writes the output file (answered requests) and the error file (refused and never-run requests). */
  #finish(b: SimBatch, status: 'completed' | 'expired' | 'cancelled', t: number): void {
    const outcomes = b.outcomes ?? [];
    const ok: string[] = [];
    const bad: string[] = [];
    outcomes.forEach((o, i) => {
      if (i >= b.doneCount) {
        bad.push(
          unfinishedLine(
            o.customId,
            `batch_req_${b.id.slice('batch_'.length)}_${i}`,
            status === 'expired' ? 'expired' : 'cancelled',
          ),
        );
        this.#stats.requestsUnfinished++;
      } else if (o.ok) {
        ok.push(o.line);
        this.#stats.requestsAnswered++;
        if (this.#answered.has(o.customId)) this.#stats.customIdsAnsweredTwice++;
        else this.#answered.add(o.customId);
      } else {
        bad.push(o.line);
        this.#stats.requestsFailed++;
      }
    });
    const created = this.unixSeconds(t);
    if (ok.length > 0)
      b.outputFileId = this.files.add(
        `batch_${b.id}_output.jsonl`,
        'batch_output',
        Buffer.from(`${ok.join('\n')}\n`),
        created,
      ).id;
    if (bad.length > 0)
      b.errorFileId = this.files.add(
        `batch_${b.id}_error.jsonl`,
        'batch_output',
        Buffer.from(`${bad.join('\n')}\n`),
        created,
      ).id;
    b.status = status;
    b.stamps[status === 'completed' ? 'completed_at' : status === 'expired' ? 'expired_at' : 'cancelled_at'] = created;
    b.outcomes = undefined; // the files hold them now
    this.#countEnd(status);
  }

  #requestCounts(b: SimBatch): { total: number; completed: number; failed: number } {
    if (!b.failedBefore) return { total: 0, completed: 0, failed: 0 }; // not validated (yet)
    const done = b.status === 'in_progress' ? this.#ranBy(b, this.#options.nowMs()) : b.doneCount;
    const failed = b.failedBefore[done] ?? 0;
    return { total: b.failedBefore.length - 1, completed: done - failed, failed };
  }

  /** Requests a running batch has run by `ms`. */
  #ranBy(b: SimBatch, ms: number): number {
    const total = b.outcomes?.length ?? 0;
    return Math.min(total, Math.max(0, Math.floor((ms - b.inProgressMs) * this.#requestsPerMs())));
  }

  #requestsPerMs(): number {
    return (this.#options.params.batchRequestsPerS * this.#options.timeScale) / 1000;
  }

  #realMs(modelSeconds: number): number {
    return (modelSeconds * 1000) / this.#options.timeScale;
  }

  /** Each batch draws from its own stream: answers do not depend on how batches interleave. */
  #rngFor(b: SimBatch): Rng {
    return createRng((this.#options.seed * 1_000_003 + b.seq) >>> 0);
  }

  #countEnd(status: string): void {
    this.#stats.batchesByStatus[status] = (this.#stats.batchesByStatus[status] ?? 0) + 1;
  }
}
