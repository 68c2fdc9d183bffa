import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProfileResult, StrategyResult } from '../../../src/bench/harness.ts';
import { markdownReport } from '../../../src/bench/report.ts';
import { profileChart } from '../../../src/bench/svg-chart.ts';

function strategy(name: string, itemsPerS: number, limit: number): StrategyResult {
  return {
    strategy: name,
    description: `${name} description`,
    itemsGiven: 100,
    stoppedAtS: null,
    measures: {
      items: 100,
      succeeded: 99,
      failed: 1,
      attempts: 120,
      status429: 7,
      failedAttempts: 21,
      durationS: 10,
      activeS: 9.5,
      itemsPerS,
      steadyItemsPerS: itemsPerS * 1.1,
      latencyP50Ms: 250,
      latencyP99Ms: 900,
      maxInFlight: limit,
      steadyInFlight: limit - 0.5,
      timeline: [
        { t: 1, itemsPerS, inFlight: limit, limit },
        { t: 2, itemsPerS: itemsPerS / 2, inFlight: 1, limit },
      ],
    },
    xStarAtCap: 12,
    xStarRatio: itemsPerS / 10,
    steadyRatio: null,
    per429: 7 / 99,
    wastedPerSuccess: 21 / 99,
    tMinS: null,
    timeRatio: null,
    simStats: {},
  };
}

const result: ProfileResult = {
  profile: 'vllm-gpu',
  timeScale: 3,
  items: 100,
  client: 'langchain',
  attemptTimeoutS: 20,
  attemptTimeoutSimulatedS: 60,
  runS: null,
  maxLimit: 1000,
  align: null,
  xStar: 10,
  cStar: 48,
  bound: 'capacity',
  steadyAfterS: 20,
  promptTokens: 40,
  maxTokens: 256,
  unloadedLatencyS: null,
  littleInFlight: null,
  strategies: [strategy('seed-async', 8, 50), strategy('sluice-auto', 9.5, 48)],
};

test('markdown: one row per strategy with the measured values', () => {
  const md = markdownReport([result], new Date('2026-01-01T00:00:00Z'));
  assert.match(md, /## vllm-gpu \(time scale ×3, 100 items\)/);
  // steady/X*(C) = 8.8 / 12
  assert.match(
    md,
    /\| seed-async \| 100 \| 8\.0 \| 0\.80 \| 8\.8 \| – \| 12\.0 \| 0\.73 \| – \| 9\.50 \| 0\.071 \| 0\.212 \| 250 \| 900 \| 49\.5 \| 50 \| 1 \|/,
  );
  assert.match(md, /\| sluice-auto \| 100 \| 9\.5 \| 0\.95 \|/);
  assert.match(md, /!\[vllm-gpu\]\(vllm-gpu\.svg\)/);
  assert.match(md, /client langchain; attempt timeout τ = 20\.0 s real \(60 simulated s\)/);
  assert.match(md, /sluice-auto maxLimit 1000;/);
  assert.doesNotMatch(md, /runs of ≈/);
});

test('markdown: a runS-bounded profile says so in its title and header, with the client used', () => {
  const md = markdownReport(
    [{ ...result, client: 'undici', runS: 130, align: { periodS: 120, phaseS: 45 } }],
    new Date('2026-01-01T00:00:00Z'),
  );
  assert.match(md, /each measured run starts at simulated second 45 of the simulator's 120 s cycle/);
  assert.match(md, /## vllm-gpu \(time scale ×3, up to 100 items\)/);
  assert.match(md, /client undici;/);
  assert.match(md, /runs of ≈ 130 simulated s: each strategy runs at most X\*\(C\)·130 s items/);
});

test('svg: a well-formed chart with one line per strategy per panel, the X* and C* references and a legend', () => {
  const svg = profileChart(result);
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.equal((svg.match(/<path /g) ?? []).length, 4);
  assert.match(svg, /X\* 10\.0\/s/);
  assert.match(svg, /C\* 48/);
  assert.match(svg, />seed-async</);
  assert.match(svg, />sluice-auto</);
  assert.doesNotMatch(svg, /NaN|undefined/);
});
