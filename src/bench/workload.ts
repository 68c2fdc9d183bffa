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

/** The shared pipeline; `timeoutMs` is scaled with the simulator so a time-scaled minute stays a minute. */
export function benchPipeline(options: { baseUrl: string; timeScale: number; maxTokens: number; maxAttempts: number }): PipelineConfig {
  return PipelineSchema.parse({
    name: 'bench',
    model: { name: 'gpt-4o-mini', baseUrl: options.baseUrl, maxTokens: options.maxTokens, timeoutMs: Math.max(1000, Math.round(60_000 / options.timeScale)) },
    prompt: { system: 'Analyse the product review: sentiment, features, suggestion.', user: 'Review: {text}' },
    output: { schemaName: 'review_insight', schema: REVIEW_SCHEMA },
    retries: { maxAttempts: options.maxAttempts, baseDelayMs: Math.max(5, Math.round(500 / options.timeScale)), maxDelayMs: Math.max(50, Math.round(8000 / options.timeScale)) },
  });
}
