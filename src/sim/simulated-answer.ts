/**
 * The simulator's content: a pure, deterministic function of (last user message, JSON schema). Other engineers'
 * tests call it to prove that every output record belongs to its own input.
 *
 * Contract:
 * - `[[sim:...]]` directives are stripped from the message first, so they never change the content;
 * - a schema whose properties include `sentiment`, `features` and `suggestion` is the review schema: the answer is
 *   `analyseReview(message)` (review-analysis.ts), with `sentiment` moved to the schema's enum if it has one that
 *   lacks the value;
 * - any other schema: a schema-valid instance seeded by the FNV-1a hash of the message (schema-instance.ts);
 * - no schema: `simulatedText(message)`, a sentence built from the same review analysis and the message hash.
 */
import { stripDirectives } from './directives.ts';
import { analyseReview, type ReviewAnalysis } from './review-analysis.ts';
import { fnv1a } from './rng.ts';
import { schemaInstance, type JsonSchema } from './schema-instance.ts';

export type { JsonSchema } from './schema-instance.ts';
export type { ReviewAnalysis, Sentiment } from './review-analysis.ts';

export interface AnswerInput {
  lastUserMessage: string;
  schema?: JsonSchema;
}

/** True when the schema is an object schema naming sentiment, features and suggestion among its properties. */
export function isReviewSchema(schema: JsonSchema | undefined): boolean {
  if (typeof schema !== 'object' || schema === null) return false;
  const props = schema.properties;
  if (typeof props !== 'object' || props === null) return false;
  return 'sentiment' in props && 'features' in props && 'suggestion' in props;
}

/** The review analysis of a message (directives stripped). */
export function simulatedReview(lastUserMessage: string): ReviewAnalysis {
  return analyseReview(stripDirectives(lastUserMessage));
}

/** The answer without a schema: one deterministic sentence. */
export function simulatedText(lastUserMessage: string): string {
  const text = stripDirectives(lastUserMessage);
  const review = analyseReview(text);
  const about = review.features.length > 0 ? `mentioning ${review.features.join(', ')}` : 'mentioning nothing specific';
  return `This is a ${review.sentiment} message ${about} (ref ${fnv1a(text).toString(16).padStart(8, '0')}).`;
}

/** The simulated answer: an object for a schema, a string without one. Same input, same answer. */
export function simulatedAnswer(input: AnswerInput): unknown {
  if (input.schema === undefined) return simulatedText(input.lastUserMessage);
  const text = stripDirectives(input.lastUserMessage);
  if (isReviewSchema(input.schema)) return fitReviewToSchema(analyseReview(text), input.schema);
  return schemaInstance(input.schema, fnv1a(text));
}

function fitReviewToSchema(review: ReviewAnalysis, schema: JsonSchema): ReviewAnalysis {
  if (typeof schema !== 'object') return review;
  const props = schema.properties as Record<string, unknown>;
  const sentiment = props.sentiment as { enum?: unknown } | undefined;
  const allowed = Array.isArray(sentiment?.enum) ? (sentiment.enum as unknown[]) : undefined;
  if (allowed && allowed.length > 0 && !allowed.includes(review.sentiment)) {
    return { ...review, sentiment: allowed[0] as ReviewAnalysis['sentiment'] };
  }
  return review;
}
