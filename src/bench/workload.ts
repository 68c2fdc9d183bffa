/**
 * The bench's input: synthetic product reviews (deterministic), and the pipeline config every strategy shares
 * (same prompt, schema and max_tokens, so every strategy pays the same per-call price at the provider).
 */
import { PipelineSchema, type PipelineConfig } from '../config/pipeline-schema.ts';

const OPENINGS = [
  'The battery lasts all day and the screen is bright',
  'Terrible quality, the zipper broke after two days',
  'It fits as expected and the material feels fine',
  'Love the color and the fabric is soft',
  'Delivery was late and the box arrived damaged',
  'Great value for the price, would buy again',
];
const DETAILS = [
  'but the sizing runs small.',
  'and customer service answered quickly.',
  'though the instructions were confusing.',
  'yet the smell took a week to go away.',
  'and it looks exactly like the photos.',
];

export interface Review {
  readonly id: string;
  readonly text: string;
}

/**
 * Reviews from a JSON Lines file (`text`, and `id` when present; line numbers otherwise). Lines without a string
 * `text` are an error: a bench on half its input would measure something else.
 */
export async function readReviews(path: string): Promise<Review[]> {
  const { readFile } = await import('node:fs/promises');
  const reviews: Review[] = [];
  for (const [index, line] of (await readFile(path, 'utf8')).split('\n').entries()) {
    if (line.trim() === '') continue;
    const record = JSON.parse(line) as { id?: unknown; text?: unknown };
    if (typeof record.text !== 'string') throw new Error(`${path}:${index + 1}: no string "text" field`);
    reviews.push({
      id: typeof record.id === 'string' || typeof record.id === 'number' ? String(record.id) : `line:${index + 1}`,
      text: record.text,
    });
  }
  return reviews;
}

/** `n` reviews: the given ones in order (repeated, with distinct ids, when there are fewer), else generated ones. */
export function benchReviews(n: number, from?: readonly Review[]): Review[] {
  if (!from || from.length === 0) return makeReviews(n);
  return Array.from({ length: n }, (_, i) => {
    const review = from[i % from.length] as Review;
    return i < from.length ? review : { id: `${review.id}#${Math.floor(i / from.length)}`, text: review.text };
  });
}

export function makeReviews(n: number): Review[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `rev-${i}`,
    text: `${OPENINGS[i % OPENINGS.length]} ${DETAILS[(i * 7) % DETAILS.length]} (#${i})`,
  }));
}

export const REVIEW_SCHEMA = {
  type: 'object',
  properties: {
    sentiment: { type: 'string', enum: ['positive', 'negative', 'neutral'] },
    features: { type: 'array', items: { type: 'string' } },
    suggestion: { type: 'string' },
  },
  required: ['sentiment', 'features', 'suggestion'],
  additionalProperties: false,
} as const;

/**
 * The per-attempt timeout τ every strategy uses, in simulated seconds: the production default (`model.timeoutMs`
 * 60 s). It is scaled with the simulator so a time-scaled minute stays a minute, and the harness passes the same
 * τ to `/sim/limit` (flaky-tail's goodput X*(C) depends on it: docs/profiles.md, E[min(T_attempt, τ)]).
 */
export const BENCH_ATTEMPT_TIMEOUT_SIMULATED_S = 60;

/** τ in real milliseconds at a time scale (never below 1 s). */
export function benchAttemptTimeoutMs(timeScale: number): number {
  return Math.max(1000, Math.round((BENCH_ATTEMPT_TIMEOUT_SIMULATED_S * 1000) / timeScale));
}

/** The model client a bench run calls the endpoint through (`model.client` of the pipeline). */
export type BenchClientKind = 'langchain' | 'undici';

/** The shared pipeline; `timeoutMs` is τ (benchAttemptTimeoutMs), backoffs are time-scaled too. */
export function benchPipeline(options: {
  baseUrl: string;
  timeScale: number;
  maxTokens: number;
  maxAttempts: number;
  client?: BenchClientKind;
}): PipelineConfig {
  return PipelineSchema.parse({
    name: 'bench',
    model: {
      name: 'gpt-4o-mini',
      baseUrl: options.baseUrl,
      maxTokens: options.maxTokens,
      timeoutMs: benchAttemptTimeoutMs(options.timeScale),
      ...(options.client && { client: options.client }),
    },
    prompt: { system: 'Analyse the product review: sentiment, features, suggestion.', user: 'Review: {text}' },
    output: { schemaName: 'review_insight', schema: REVIEW_SCHEMA },
    retries: {
      maxAttempts: options.maxAttempts,
      baseDelayMs: Math.max(5, Math.round(500 / options.timeScale)),
      maxDelayMs: Math.max(50, Math.round(8000 / options.timeScale)),
    },
  });
}
