/**
 * The simulator's profiles as data (docs/profiles.md). Every field is a `--set key=value` override. Durations are in
 * seconds and rates per minute of *model time*; the time scale is applied by the engine (model time = real time ×
 * timeScale), never here, so every profile keeps its ratios at any scale.
 */
import { ConfigError } from '../core/errors.ts';

export type LatencyModel = 'none' | 'ttft-tps' | 'vllm' | 'flaky';

export interface ProfileParams {
  latencyModel: LatencyModel;
  /** Model name reported when the request names none; org used in 429 texts. */
  org: string;
  // Output tokens per answer: k ~ clamp(Normal(outMean, outSd), outMin, max_tokens).
  outMean: number;
  outSd: number;
  outMin: number;
  // ttft-tps: L = TTFT + k/TPS, TTFT lognormal(ttftMedianS, ttftSigma), TPS ~ Normal(tpsMean, tpsSd).
  ttftMedianS: number;
  ttftSigma: number;
  tpsMean: number;
  tpsSd: number;
  /** Stragglers: with this probability the latency is multiplied by U[stragglerMinX, stragglerMaxX]. */
  stragglerRate: number;
  stragglerMinX: number;
  stragglerMaxX: number;
  // vllm: L(n) = L0·(1 + n/nHalf), L0 = vllmBaseS + k/vllmDecodeTps; KV preemption above nKv; maxRunning run at once.
  vllmBaseS: number;
  vllmDecodeTps: number;
  nHalf: number;
  nKv: number;
  maxRunning: number;
  // flaky: lognormal(flakyMedianS, flakySigma); Pareto(paretoXmS, paretoAlpha) stragglers capped at paretoCapS.
  flakyMedianS: number;
  flakySigma: number;
  paretoRate: number;
  paretoXmS: number;
  paretoAlpha: number;
  paretoCapS: number;
  /** A brownout of brownoutS seconds at the end of every brownoutEveryS seconds (0 = never). */
  brownoutEveryS: number;
  brownoutS: number;
  brownoutLatencyX: number;
  brownoutErrorRate: number;
  // Limits (0 = unlimited).
  rpm: number;
  tpm: number;
  rpd: number;
  /** Also enforce ≤ rpm/60 requests in each whole second (saas-tier5). */
  perSecond: boolean;
  /** After this many admitted requests every request gets 429 insufficient_quota (0 = never). */
  quotaRequests: number;
  /** Latency of a 429 rate-limit answer. */
  rejectLatencyS: number;
  /** Refuse when this many requests are in flight (running + waiting); 0 = no cap. */
  admissionCap: number;
  /** How the cap refuses: 429 {"error":"Model is overloaded"} (TGI) or 503 (overloaded server). */
  admissionStatus: number;
  // Errors per admitted attempt.
  error500Rate: number;
  error502Rate: number;
  error503Rate: number;
  resetRate: number;
  /** Errors answer after this long. */
  errorDelayS: number;
  /** Retry-After on 502/503 is uniform in [retryAfterMinS, retryAfterMaxS] (0 = none). */
  retryAfterMinS: number;
  retryAfterMaxS: number;
  // Content faults per successful answer.
  faultMalformedRate: number;
  faultSchemaInvalidRate: number;
  faultTruncateRate: number;
  // Packed answers (sim/packed-answer.ts): per packed answer, drop / swap / duplicate an item.
  faultPackDropRate: number;
  faultPackSwapRate: number;
  faultPackDuplicateRate: number;
  // Batch API (sim/batch): a batch validates for batchValidateS, then runs batchRequestsPerS requests per second,
  // finalizes for batchFinalizeS; batchWindowS is its completion window ("24h"), cancelling lasts batchCancelS.
  batchValidateS: number;
  batchRequestsPerS: number;
  batchFinalizeS: number;
  batchWindowS: number;
  batchCancelS: number;
  /** Input tokens (chars/4) of validating and running batches per model; a batch past it fails token_limit_exceeded (0 = no limit). */
  batchEnqueuedTokens: number;
  /** Requests per batch and bytes per batch input file; a file past them fails validation. */
  batchMaxRequests: number;
  batchMaxFileBytes: number;
  /** The answer to POST /v1/batches leaves this long after the batch exists (a client may die meanwhile). */
  batchCreateDelayS: number;
}

const BASE: ProfileParams = {
  latencyModel: 'none',
  org: 'org-sluice-sim',
  outMean: 100,
  outSd: 30,
  outMin: 20,
  ttftMedianS: 0.45,
  ttftSigma: 0.35,
  tpsMean: 60,
  tpsSd: 8,
  stragglerRate: 0,
  stragglerMinX: 3,
  stragglerMaxX: 10,
  vllmBaseS: 0.06,
  vllmDecodeTps: 80,
  nHalf: 33,
  nKv: 48,
  maxRunning: 64,
  flakyMedianS: 1.2,
  flakySigma: 0.5,
  paretoRate: 0,
  paretoXmS: 8,
  paretoAlpha: 1.5,
  paretoCapS: 120,
  brownoutEveryS: 0,
  brownoutS: 15,
  brownoutLatencyX: 3,
  brownoutErrorRate: 0.5,
  rpm: 0,
  tpm: 0,
  rpd: 0,
  perSecond: false,
  quotaRequests: 0,
  rejectLatencyS: 0.03,
  admissionCap: 0,
  admissionStatus: 429,
  error500Rate: 0,
  error502Rate: 0,
  error503Rate: 0,
  resetRate: 0,
  errorDelayS: 0.1,
  retryAfterMinS: 0,
  retryAfterMaxS: 0,
  faultMalformedRate: 0,
  faultSchemaInvalidRate: 0,
  faultTruncateRate: 0,
  faultPackDropRate: 0,
  faultPackSwapRate: 0,
  faultPackDuplicateRate: 0,
  batchValidateS: 10,
  batchRequestsPerS: 20,
  batchFinalizeS: 5,
  batchWindowS: 86_400,
  batchCancelS: 5,
  batchEnqueuedTokens: 2_000_000,
  batchMaxRequests: 50_000,
  batchMaxFileBytes: 200 * 1024 * 1024,
  batchCreateDelayS: 0,
};

const SAAS_ERRORS = { error500Rate: 0.001, error503Rate: 0.001 };

export const PROFILES: Readonly<Record<string, ProfileParams>> = {
  'saas-tier1': {
    ...BASE,
    ...SAAS_ERRORS,
    latencyModel: 'ttft-tps',
    stragglerRate: 0.005,
    rpm: 500,
    tpm: 200_000,
    rpd: 10_000,
  },
  'saas-tier5': {
    ...BASE,
    ...SAAS_ERRORS,
    latencyModel: 'ttft-tps',
    stragglerRate: 0.005,
    rpm: 30_000,
    tpm: 150_000_000,
    perSecond: true,
  },
  'vllm-gpu': { ...BASE, latencyModel: 'vllm', error500Rate: 0.0001 },
  'capped-overload': { ...BASE, latencyModel: 'vllm', error500Rate: 0.0001, admissionCap: 32, admissionStatus: 429 },
  'flaky-tail': {
    ...BASE,
    latencyModel: 'flaky',
    paretoRate: 0.02,
    brownoutEveryS: 120,
    admissionCap: 256,
    admissionStatus: 503,
    error500Rate: 0.02,
    error502Rate: 0.005,
    error503Rate: 0.005,
    resetRate: 0.005,
    retryAfterMinS: 1,
    retryAfterMaxS: 5,
  },
  // The seed's sync table: 3,021.8 s for 10,000 calls ≈ 0.30 s per call with ~10 output tokens.
  'seed-blog': {
    ...BASE,
    ...SAAS_ERRORS,
    latencyModel: 'ttft-tps',
    ttftMedianS: 0.13,
    ttftSigma: 0.2,
    outMean: 10,
    outSd: 3,
    outMin: 1,
    rpm: 3_500,
    tpm: 200_000,
  },
  null: { ...BASE },
};

export const PROFILE_NAMES = Object.keys(PROFILES);

/** The profile's parameters with overrides applied; unknown profile/key or a bad value is a ConfigError. */
export function resolveProfile(name: string, overrides: Record<string, string | number | boolean> = {}): ProfileParams {
  const base = PROFILES[name];
  if (!base)
    throw new ConfigError('profile', `unknown simulator profile '${name}' (one of ${PROFILE_NAMES.join(', ')})`);
  const out: ProfileParams = { ...base };
  for (const [key, raw] of Object.entries(overrides)) {
    if (!isParam(key))
      throw new ConfigError(`--set ${key}`, `unknown simulator parameter (one of ${Object.keys(BASE).join(', ')})`);
    if (isNumberParam(key)) {
      const n = typeof raw === 'number' ? raw : Number(raw);
      if (!Number.isFinite(n) || n < 0) throw new ConfigError(`--set ${key}`, `must be a number ≥ 0, got '${raw}'`);
      out[key] = n;
    } else if (isBooleanParam(key)) {
      if (raw === true || raw === 'true' || raw === '1') out[key] = true;
      else if (raw === false || raw === 'false' || raw === '0') out[key] = false;
      else throw new ConfigError(`--set ${key}`, `must be true or false, got '${raw}'`);
    } else if (key === 'latencyModel') {
      const model = String(raw);
      if (!isLatencyModel(model)) throw new ConfigError(`--set ${key}`, `must be none|ttft-tps|vllm|flaky`);
      out[key] = model;
    } else {
      out[key] = String(raw);
    }
  }
  return out;
}

/** The parameters whose values are of type V (a `--set` value is parsed by the type of the parameter's default). */
type ParamsOf<V> = { [K in keyof ProfileParams]: ProfileParams[K] extends V ? K : never }[keyof ProfileParams];

function isParam(key: string): key is keyof ProfileParams {
  return key in BASE;
}

function isNumberParam(key: keyof ProfileParams): key is ParamsOf<number> {
  return typeof BASE[key] === 'number';
}

function isBooleanParam(key: keyof ProfileParams): key is ParamsOf<boolean> {
  return typeof BASE[key] === 'boolean';
}

const LATENCY_MODELS: readonly string[] = ['none', 'ttft-tps', 'vllm', 'flaky'] satisfies readonly LatencyModel[];

function isLatencyModel(value: string): value is LatencyModel {
  return LATENCY_MODELS.includes(value);
}

/** Parse `key=value` strings (the CLI's repeated --set). */
export function parseSetOptions(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new ConfigError('--set', `expected key=value, got '${item}'`);
    out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return out;
}
