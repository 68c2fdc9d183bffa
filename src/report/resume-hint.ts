/**
 * How a stopped or unfinished job is completed later. It depends on where the job read and wrote (README
 * "Nothing lost, nothing twice"), so the summary must not advise `--resume` where it cannot work:
 * - a **file output**: `--resume` skips what the output and dead-letter files already hold (whatever the input);
 * - **Kafka input** to stdout or Kafka: running the same command again continues from the group's committed
 *   offsets (an offset is committed only once written), and `--resume` would be refused (it needs -o FILE);
 * - otherwise (a file, stdin or a replay written to stdout or Kafka) nothing records which records finished: the
 *   job cannot be resumed, and the hint says how to make the next one resumable.
 */
export type ResumeMode = 'resume-flag' | 'rerun' | 'none';

export function resumeModeOf(input: 'file' | 'stdin' | 'kafka', output: 'file' | 'stdout' | 'kafka'): ResumeMode {
  if (output === 'file') return 'resume-flag';
  return input === 'kafka' ? 'rerun' : 'none';
}

/** One sentence, lower case, no final period: the summary indents it, the stop message prefixes it. */
export function resumeHint(mode: ResumeMode): string {
  switch (mode) {
    case 'resume-flag':
      return 'resume with the same command plus --resume';
    case 'rerun':
      return 'resume by running the same command again: the Kafka input continues from its committed offsets';
    case 'none':
      return (
        'cannot be resumed: with output to stdout or Kafka nothing records which records finished; ' +
        'write the output with -o FILE to make a job resumable with --resume'
      );
  }
}
