/** log-failures (envelope step, `--verbose`): writes one redacted line per failed envelope (default: stderr) as it passes; every envelope passes on unchanged. */
import type { EnvelopeStep } from '../core/envelope-steps.ts';

export function logFailures(
  redact: (text: string) => string,
  write: (text: string) => void = (text) => void process.stderr.write(text),
): EnvelopeStep {
  return (envelope) => {
    const failure = envelope.failure;
    if (failure)
      write(redact(`sluice: dead letter ${envelope.id}: ${failure.stage}/${failure.reason}: ${failure.message}\n`));
    return envelope;
  };
}
