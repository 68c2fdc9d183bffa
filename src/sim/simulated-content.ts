/**
 * The text of a simulated answer, shared by the online endpoint (sim-engine.ts) and the Batch API (sim/batch), so
 * the same request gets the same content either way: a packed request gets its packed answer (packed-answer.ts),
 * otherwise the deterministic analysis or schema instance (simulated-answer.ts), then the content fault forced by
 * a directive or drawn with the profile's rates is applied (content-faults.ts) and counted in `faults`.
 */
import type { ChatRequest } from './chat-request.ts';
import { renderContent, type RenderedContent } from './content-faults.ts';
import type { ContentFault, Directives } from './directives.ts';
import { sampleFault } from './error-injection.ts';
import { packedAnswer } from './packed-answer.ts';
import type { ProfileParams } from './profiles.ts';
import type { Rng } from './rng.ts';
import { bump } from './sim-stats.ts';
import { simulatedAnswer, simulatedReview } from './simulated-answer.ts';

export function simulatedContent(
  req: ChatRequest,
  directives: Directives,
  params: ProfileParams,
  rng: Rng,
  faults: Record<string, number>,
): RenderedContent {
  const fault: ContentFault | undefined = directives.fault ?? sampleFault(params, rng);
  const answer =
    packedAnswer(req, params, rng, faults) ??
    (req.mode === 'text'
      ? simulatedAnswer({ lastUserMessage: req.lastUserMessage })
      : req.mode === 'json_object' && req.schema === undefined
        ? simulatedReview(req.lastUserMessage)
        : simulatedAnswer({ lastUserMessage: req.lastUserMessage, schema: req.schema ?? {} }));
  const rendered = renderContent(answer, fault);
  if (fault) bump(faults, fault);
  return rendered;
}
