import { JobStop } from '../core/errors.ts';

/**
 * Stops a job whose prompt names a field its records do not have — a typo in `{field}`, or the wrong input file —
 * instead of dead-lettering every record of the input one by one (exit 3 after the whole file).
 *
 * Armed until the first record renders. When the first `threshold` records all lack one same field, `missing`
 * returns the JobStop (exit 2) to hand to the admission gate; those records are dead letters (`missing_field`), no
 * call was made for any of them. A single record that renders disarms the watch for good: a field that only some
 * records lack is their own fault, and their dead letters say so. Records render in input order, one at a time.
 */
export class MissingFieldWatch {
  readonly threshold: number;
  #armed = true;
  #count = 0;
  #common: Set<string> | undefined;
  readonly #fieldsSeen = new Set<string>();

  constructor(threshold = DEFAULT_MISSING_FIELD_RECORDS) {
    this.threshold = threshold;
  }

  rendered(): void {
    this.#armed = false;
  }

  missing(fields: readonly string[], record: Readonly<Record<string, unknown>>): JobStop | undefined {
    if (!this.#armed) return undefined;
    this.#common = new Set(this.#common ? fields.filter((f) => this.#common!.has(f)) : fields);
    for (const key of Object.keys(record)) if (this.#fieldsSeen.size < MAX_FIELDS_NAMED) this.#fieldsSeen.add(key);
    this.#count++;
    if (this.#common.size === 0) this.#armed = false;
    if (!this.#armed || this.#count < this.threshold) return undefined;
    this.#armed = false;
    const named = [...this.#common].map((f) => `{${f}}`).join(', ');
    const have = this.#fieldsSeen.size > 0 ? [...this.#fieldsSeen].join(', ') : 'no fields';
    return new JobStop(
      'missing_field',
      `the prompt uses ${named}, which none of the first ${this.#count} records has (they have: ${have}); ` +
        'fix the prompt (prompt.system / prompt.user) or the input, then run again — no model call was made for them',
    );
  }
}

/** Records that must all lack a field before the job stops: past chance for a field that real records have. */
export const DEFAULT_MISSING_FIELD_RECORDS = 10;
const MAX_FIELDS_NAMED = 12;
