import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RunStats } from '../../../src/core/run-stats.ts';
import { statusLine } from '../../../src/report/progress.ts';
import { resumeHint, resumeModeOf } from '../../../src/report/resume-hint.ts';
import { formatSummary, summarize } from '../../../src/report/summary.ts';

function statsOf(
  values: Partial<Pick<RunStats, 'recordsIn' | 'recordsOut' | 'deadLetters' | 'resumedSkipped' | 'emptyLines'>>,
): RunStats {
  return Object.assign(new RunStats(), values);
}

describe('summarize', () => {
  test('counts add up: in = out + dead letters + skipped + unfinished', () => {
    const stats = statsOf({ recordsIn: 100, recordsOut: 90, deadLetters: 4, resumedSkipped: 3, emptyLines: 2 });
    [120, 80, 400, 95].forEach((ms) => stats.latencies.add(ms));
    stats.countRetry('rate_limited');
    stats.countRetry('rate_limited');
    stats.countRetry('server_error');
    const summary = summarize(stats, undefined, stats.startedAt + 2000);
    assert.equal(summary.unfinished, 3);
    assert.equal(
      summary.recordsIn,
      summary.recordsOut + summary.deadLetters + summary.skippedDone + summary.unfinished,
    );
    assert.equal(summary.recordsPerSecond, 47);
    assert.equal(summary.latencyP50Ms, 95);
    assert.equal(summary.latencyP95Ms, 400);
    assert.deepEqual(summary.retriesByReason, { rate_limited: 2, server_error: 1 });
    const text = formatSummary(summary, { output: 'out.jsonl', deadLetters: 'dead.jsonl', resume: 'resume-flag' });
    assert.match(text, /in 100 = out 90 \+ dead letters 4 \+ skipped 3 \+ unfinished 3/);
    assert.match(text, /retries: rate_limited 2, server_error 1/);
    assert.match(text, /dead letters: dead\.jsonl/);
    assert.match(text, /resume with the same command plus --resume/);
  });

  test('a complete run does not suggest resuming', () => {
    const text = formatSummary(summarize(statsOf({ recordsIn: 5, recordsOut: 5 })), {
      output: '-',
      deadLetters: 'd',
      resume: 'none',
    });
    assert.doesNotMatch(text, /resume/);
    assert.doesNotMatch(text, /dead letters: d/);
  });

  test('calls that all failed are not "no model calls"', () => {
    const stats = statsOf({ recordsIn: 3, deadLetters: 3 });
    stats.attempts = 12;
    const text = formatSummary(summarize(stats), { output: '-', deadLetters: 'd', resume: 'none' });
    assert.match(text, /no model call succeeded/);
    assert.match(text, /model calls 12/);
    assert.match(
      formatSummary(summarize(statsOf({ recordsIn: 1, deadLetters: 1 })), {
        output: '-',
        deadLetters: 'd',
        resume: 'none',
      }),
      /no model calls/,
    );
  });
});

describe('the resume hint', () => {
  test('--resume is advised only for a file output; Kafka input is re-run; otherwise: how to make a job resumable', () => {
    assert.equal(resumeModeOf('file', 'file'), 'resume-flag');
    assert.equal(resumeModeOf('stdin', 'file'), 'resume-flag');
    assert.equal(
      resumeModeOf('kafka', 'file'),
      'resume-flag',
      'a file output is resumed with --resume, whatever the input',
    );
    assert.equal(resumeModeOf('kafka', 'stdout'), 'rerun');
    assert.equal(resumeModeOf('kafka', 'kafka'), 'rerun');
    assert.equal(resumeModeOf('file', 'stdout'), 'none');
    assert.equal(resumeModeOf('stdin', 'stdout'), 'none');
    assert.equal(resumeModeOf('file', 'kafka'), 'none');
  });

  test('a stopped job writing to stdout is not told to add --resume (which would be refused: it needs -o FILE)', () => {
    const stopped = summarize(statsOf({ recordsIn: 10, recordsOut: 4 }), 'SIGINT');
    const toStdout = formatSummary(stopped, {
      output: 'stdout',
      deadLetters: 'sluice-dead-letters.jsonl',
      resume: 'none',
    });
    assert.doesNotMatch(toStdout, /plus --resume/);
    assert.match(
      toStdout,
      /\n {2}cannot be resumed: .*write the output with -o FILE to make a job resumable with --resume$/,
    );
    const fromKafka = formatSummary(stopped, {
      output: 'stdout',
      deadLetters: 'sluice-dead-letters.jsonl',
      resume: 'rerun',
    });
    assert.doesNotMatch(fromKafka, /plus --resume/);
    assert.match(
      fromKafka,
      /\n {2}resume by running the same command again: the Kafka input continues from its committed offsets$/,
    );
    const toFile = formatSummary(stopped, {
      output: 'out.jsonl',
      deadLetters: 'out.dead-letters.jsonl',
      resume: 'resume-flag',
    });
    assert.match(toFile, /\n {2}resume with the same command plus --resume$/);
    assert.equal(resumeHint('resume-flag'), 'resume with the same command plus --resume');
  });
});

describe('statusLine', () => {
  test('shows processed/total with the failed among them, ETA, rate, retrying, in flight and tokens', () => {
    const stats = statsOf({ recordsOut: 40, deadLetters: 10 });
    stats.inFlight = 7;
    stats.concurrencyLimit = 16;
    stats.retrying = 2;
    stats.inputTokens = 12_345;
    const line = statusLine(stats, { perSecond: 10, total: 100 });
    assert.match(line, /50\.0% 50\/100 \(10 failed\)/, 'the 10 failed are among the 50');
    assert.match(line, /2 retrying/);
    assert.match(line, /10\.0 rec\/s/);
    assert.match(line, /in flight 7\/16/);
    assert.match(line, /ETA 5\.0s/);
    assert.match(line, /tokens 12\.3k in/);
  });

  test('without a total: "8 done (4 failed)" is 8 records', () => {
    const line = statusLine(statsOf({ recordsOut: 4, deadLetters: 4 }), { perSecond: 1 });
    assert.match(line, /^8 done \(4 failed\) \| /);
  });

  test('on an 80-column terminal the ETA stays and the least useful parts go', () => {
    const stats = statsOf({ recordsOut: 400_000, deadLetters: 1_234 });
    stats.retrying = 12;
    stats.inFlight = 250;
    stats.concurrencyLimit = 256;
    stats.inputTokens = 123_456_789;
    stats.outputTokens = 98_765_432;
    const line = statusLine(stats, { perSecond: 123.4, total: 1_000_000, width: 79 });
    assert.ok(line.length <= 79, `${line.length}: ${line}`);
    assert.match(line, /ETA 1h20m/);
    assert.match(line, /123 rec\/s/);
    assert.doesNotMatch(line, /tokens/);
  });

  test('no ETA while the rate is still ramping up (under 5% and 30 s); then one', () => {
    const stats = statsOf({ recordsOut: 4 });
    assert.match(statusLine(stats, { perSecond: 1.3, total: 900, elapsedMs: 3_000 }), /ETA …/);
    assert.doesNotMatch(statusLine(stats, { perSecond: 1.3, total: 900, elapsedMs: 3_000 }), /ETA \d/);
    assert.match(statusLine(stats, { perSecond: 1.3, total: 900, elapsedMs: 31_000 }), /ETA 11m29s/);
    assert.match(statusLine(statsOf({ recordsOut: 50 }), { perSecond: 50, total: 900, elapsedMs: 1_000 }), /ETA 17s/);
  });

  test('the bar counts records answered but still held for input order, and says how many are written', () => {
    const stats = statsOf({ recordsOut: 125 });
    stats.answered = 519;
    const line = statusLine(stats, { perSecond: 80, total: 900, elapsedMs: 5_000 });
    assert.match(line, /57\.7% 519\/900/);
    assert.match(line, /written 125/);
  });
});
