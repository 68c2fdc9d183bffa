/**
 * The deterministic "model" behind review answers: sentiment, features and a suggestion read from the lexicon in
 * review-lexicon.ts. Pure: the same text always yields the same analysis.
 *
 * Rules (documented so tests elsewhere can predict answers):
 * - negative phrases are counted first and blanked out, then positive words are counted on what is left;
 * - sentiment = positive if positives > negatives, negative if negatives > positives, else neutral;
 * - features = canonical names of the lexicon features mentioned, in lexicon order;
 * - suggestion = '' when there is no negative phrase; otherwise a sentence naming the features (Chinese when the
 *   review contains CJK characters, else English).
 */
import { FEATURES, NEGATIVE_WORDS, POSITIVE_WORDS } from './review-lexicon.ts';

export type Sentiment = 'positive' | 'negative' | 'neutral';

export interface ReviewAnalysis {
  sentiment: Sentiment;
  features: string[];
  suggestion: string;
}

/**
 * One alternation, longest phrase first; ASCII phrases are bounded by word edges, CJK ones match anywhere.
 * Global patterns are only used through String#match/replace, which reset lastIndex, so sharing them is safe.
 */
function alternation(words: readonly string[], flags: string): RegExp {
  const sorted = [...words].sort((a, b) => b.length - a.length);
  const parts = sorted.map((w) => {
    const escaped = w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return /^[\x20-\x7e]+$/.test(w) ? `\\b${escaped}\\b` : escaped;
  });
  return new RegExp(parts.join('|'), flags);
}

const NEGATIVE = alternation(NEGATIVE_WORDS, 'g');
const POSITIVE = alternation(POSITIVE_WORDS, 'g');
const FEATURE_PATTERNS = FEATURES.map((f) => ({ entry: f, pattern: alternation(f.words, '') }));
const CJK = /[\u4e00-\u9fff]/;

function count(pattern: RegExp, text: string): number {
  return text.match(pattern)?.length ?? 0;
}

/** Analyse one review text (directives must already be stripped). */
export function analyseReview(text: string): ReviewAnalysis {
  const lower = text.toLowerCase();
  const negatives = count(NEGATIVE, lower);
  const rest = negatives > 0 ? lower.replace(NEGATIVE, ' ') : lower;
  const positives = count(POSITIVE, rest);
  const sentiment: Sentiment = positives > negatives ? 'positive' : negatives > positives ? 'negative' : 'neutral';
  const found = FEATURE_PATTERNS.filter(({ pattern }) => pattern.test(lower)).map(({ entry }) => entry);
  const features = found.map((f) => f.name);
  let suggestion = '';
  if (negatives > 0) {
    if (CJK.test(text)) {
      suggestion = found.length > 0 ? `建议改进${found.map((f) => f.zh).join('、')}。` : '建议改进产品。';
    } else {
      suggestion = found.length > 0 ? `Improve the ${features.join(', ')}.` : 'Improve the product.';
    }
  }
  return { sentiment, features, suggestion };
}
