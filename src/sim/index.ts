/**
 * The OpenAI-compatible simulator, as a library: `startSimulator()` listens on 127.0.0.1, port 0 by default, and
 * returns its base URL (ending in /v1), its counters, its physical limit and a close function. See
 * docs/simulator.md for profiles, parameters, endpoints and formulas.
 */
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../core/errors.ts';
import { createSimServer } from './http-server.ts';
import { limitFor, type LimitQuery, type SimLimit } from './limit-formulas.ts';
import { resolveProfile } from './profiles.ts';
import { SimEngine } from './sim-engine.ts';
import type { SimStats } from './sim-stats.ts';
import { BatchStore } from './batch/batch-store.ts';
import { createSimBatchApi } from './batch/batch-routes.ts';
import type { BatchSimStats } from './batch/batch-stats.ts';

export { simulatedAnswer, simulatedText, simulatedReview, isReviewSchema } from './simulated-answer.ts';
export type { AnswerInput, JsonSchema, ReviewAnalysis, Sentiment } from './simulated-answer.ts';
export { stripDirectives, parseDirectives, type Directives, type ContentFault } from './directives.ts';
export { PROFILES, PROFILE_NAMES, resolveProfile, parseSetOptions, type ProfileParams } from './profiles.ts';
export type { SimStats } from './sim-stats.ts';
export type { BatchSimStats } from './batch/batch-stats.ts';

/** What `stats()` and `GET /sim/stats` report: the chat endpoint's counters, and the Batch API's under `batch`. */
export type SimulatorStats = SimStats & { batch: BatchSimStats };
export type { SimLimit, LimitQuery, Bound } from './limit-formulas.ts';

export interface SimulatorOptions {
  /** Profile name (default `null`). */
  profile?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Divides every duration and multiplies every rate (default 1). */
  timeScale?: number;
  /** Profile parameter overrides (`--set key=value`). */
  overrides?: Record<string, string | number | boolean>;
  /** Seed of every random draw (default 1). */
  seed?: number;
  /** Where log lines go (default: nowhere). */
  log?: (line: string) => void;
}

export interface Simulator {
  /** Base URL ending in /v1, e.g. http://127.0.0.1:41234/v1. */
  url: string;
  stats(): SimulatorStats;
  limit(q: LimitQuery): SimLimit;
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const profile = options.profile ?? 'null';
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0) || !Number.isFinite(timeScale))
    throw new ConfigError('timeScale', `must be a number > 0, got ${timeScale}`);
  const params = resolveProfile(profile, options.overrides);
  const engine = new SimEngine(params, {
    profileName: profile,
    timeScale,
    seed: options.seed ?? 1,
    nowMs: () => performance.now(),
  });
  const log = options.log ?? (() => {});
  const limit = (q: LimitQuery) => limitFor(profile, params, q, timeScale);
  const store = new BatchStore({
    params,
    timeScale,
    seed: options.seed ?? 1,
    nowMs: () => performance.now(),
    wallMs: () => Date.now(),
  });
  const batch = createSimBatchApi({
    store,
    createDelayMs: (params.batchCreateDelayS * 1000) / timeScale,
    maxBodyBytes: Math.min(512 * 1024 * 1024, params.batchMaxFileBytes + 16 * 1024 * 1024),
    countResponse: (status) => engine.countResponse(status),
  });
  const { server, shutdown } = createSimServer({ engine, batch, limit, log });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}/v1`;
  log(`sim: profile ${profile}, time scale ${timeScale}, listening on ${url}`);
  let closing: Promise<void> | undefined;
  return {
    url,
    stats: () => ({ ...engine.stats(), batch: batch.stats() }),
    limit,
    close: () => (closing ??= shutdown()),
  };
}
