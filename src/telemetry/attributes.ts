/**
 * Attribute, span, event and metric names used by sluice's telemetry, in one place (docs/architecture.md, house rule 8).
 *
 * GenAI names follow the OpenTelemetry GenAI semantic conventions (Development status; semantic-conventions
 * 1.37+, now maintained in github.com/open-telemetry/semantic-conventions-genai; the same strings are exported as
 * `ATTR_GEN_AI_*` by `@opentelemetry/semantic-conventions` 1.45 `incubating`). We emit both the current
 * `gen_ai.provider.name` and the deprecated `gen_ai.system`, because backends and dashboards built on
 * conventions ≤ 1.36 still key on the latter.
 * Messaging names follow the messaging semantic conventions (Kafka). `sluice.*` names are sluice's own; every
 * one is described in docs/telemetry.md.
 *
 * Contract: nothing here ever carries an API key; prompt and answer text only go to the two `*_MESSAGES`
 * attributes, and only when the user opted in to recording content.
 */

// --- GenAI semantic conventions ---------------------------------------------------------------------------
export const GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
/** The value of `gen_ai.operation.name` for chat completions. */
export const GEN_AI_OPERATION_CHAT = 'chat';
export const GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
/** Deprecated by the conventions in favour of `gen_ai.provider.name`; still emitted for older backends. */
export const GEN_AI_SYSTEM = 'gen_ai.system';
export const GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens';
export const GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
export const GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
/** `json` when a structured answer is requested (sluice always asks for one). */
export const GEN_AI_OUTPUT_TYPE = 'gen_ai.output.type';
/** Opt-in content: the chat history sent, as a JSON string following the conventions' input-messages schema. */
export const GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages';
/** Opt-in content: the answer, as a JSON string following the conventions' output-messages schema. */
export const GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages';
/** `input` or `output`, on the token usage metric. */
export const GEN_AI_TOKEN_TYPE = 'gen_ai.token.type';

// --- General conventions ----------------------------------------------------------------------------------
/** Low-cardinality failure class (classify-error's reason, e.g. `rate_limited`, `server_error`). */
export const ERROR_TYPE = 'error.type';
export const SERVER_ADDRESS = 'server.address';
export const SERVER_PORT = 'server.port';
export const HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';

// --- Messaging (Kafka) conventions ------------------------------------------------------------------------
export const MESSAGING_SYSTEM = 'messaging.system';
export const MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const MESSAGING_DESTINATION_PARTITION_ID = 'messaging.destination.partition.id';
export const MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count';
export const MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name';

// --- sluice's own -----------------------------------------------------------------------------------------
/** The record id, when the call serves one record. */
export const SLUICE_RECORD_ID = 'sluice.record.id';
/** Every record id the call serves (one, or several when records are packed into one prompt). */
export const SLUICE_RECORD_IDS = 'sluice.record.ids';
export const SLUICE_RECORD_COUNT = 'sluice.record.count';
/** On a span link: what the linked span is to this one (`run`: the job's run span; `upstream`: a message's producer). */
export const SLUICE_LINK_KIND = 'sluice.link.kind';
/** Name of the JSON schema the answer must validate against. */
export const SLUICE_SCHEMA_NAME = 'sluice.schema.name';
/** Attempts made by the logical call (1 = no retry). */
export const SLUICE_ATTEMPT_COUNT = 'sluice.attempt.count';
/** 1-based number of this attempt. */
export const SLUICE_ATTEMPT_NUMBER = 'sluice.attempt.number';
/** Model time of one attempt, ms (from sending the request to the answer or the error). */
export const SLUICE_ATTEMPT_LATENCY_MS = 'sluice.attempt.latency_ms';
/** Delay the retry layer waited after this attempt before the next one, ms. */
export const SLUICE_RETRY_BACKOFF_MS = 'sluice.retry.backoff_ms';
/** Classified reason of a retry (`rate_limited`, `overloaded`, `server_error`, `timeout` ...). */
export const SLUICE_RETRY_REASON = 'sluice.retry.reason';
/** Time spent waiting for a limiter permit, ms (total over the call on the call span; per wait on its span). */
export const SLUICE_LIMITER_WAIT_MS = 'sluice.limiter.wait_ms';
/** Model time summed over all attempts, ms — compare with `sluice.limiter.wait_ms` and backoffs. */
export const SLUICE_MODEL_TIME_MS = 'sluice.model.time_ms';
/** Backoff summed over all retries of the call, ms. */
export const SLUICE_BACKOFF_TOTAL_MS = 'sluice.retry.backoff_total_ms';
/** The pipeline a run executes (file name or name field). */
export const SLUICE_PIPELINE = 'sluice.pipeline';
export const SLUICE_RECORDS_IN = 'sluice.records.in';
export const SLUICE_RECORDS_OUT = 'sluice.records.out';
export const SLUICE_RECORDS_DEAD_LETTERED = 'sluice.records.dead_lettered';
/** Why records were skipped (`empty_line`, `resumed`), on the skipped-records metric. */
export const SLUICE_SKIP_REASON = 'sluice.skip.reason';

// --- Span and event names ---------------------------------------------------------------------------------
/** Child span of a call (with `waitSpans`): time spent waiting for a limiter permit before one attempt. */
export const SPAN_LIMITER_WAIT = 'sluice.limiter.wait';
/** Event on the call span at the end of a limiter wait (the default instead of the span above). */
export const EVENT_LIMITER_WAIT = 'sluice.limiter.wait';
/** Child span of a call: one HTTP attempt (model time only). */
export const SPAN_ATTEMPT = 'sluice.attempt';
/** Event on the call span when the retry layer schedules another attempt. */
export const EVENT_RETRY = 'sluice.retry';

// --- Metric names -----------------------------------------------------------------------------------------
/** GenAI convention: duration of the logical operation (all retries and waits), seconds. */
export const METRIC_GEN_AI_OPERATION_DURATION = 'gen_ai.client.operation.duration';
/** Model time of one attempt (limiter wait and backoff excluded), seconds. */
export const METRIC_MODEL_LATENCY = 'sluice.model.latency';
/** Time one attempt waited for a limiter permit, seconds. */
export const METRIC_LIMITER_WAIT = 'sluice.limiter.wait';
export const METRIC_RECORDS_IN = 'sluice.records.in';
export const METRIC_RECORDS_OUT = 'sluice.records.out';
export const METRIC_RECORDS_DEAD_LETTERED = 'sluice.records.dead_lettered';
export const METRIC_RECORDS_SKIPPED = 'sluice.records.skipped';
export const METRIC_CALLS_IN_FLIGHT = 'sluice.calls.in_flight';
export const METRIC_CALLS_RETRYING = 'sluice.calls.retrying';
export const METRIC_CONCURRENCY_LIMIT = 'sluice.limiter.limit';
export const METRIC_ATTEMPTS = 'sluice.model.attempts';
export const METRIC_RETRIES = 'sluice.model.retries';
export const METRIC_TOKENS = 'sluice.tokens';
export const METRIC_COST = 'sluice.cost';

/**
 * Explicit bucket boundaries the GenAI conventions recommend for `gen_ai.client.operation.duration` (seconds);
 * also used for sluice's own latency histograms so they line up.
 */
export const DURATION_BUCKETS_S = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

/** Instrumentation scope name for tracers and meters. */
export const INSTRUMENTATION_SCOPE = 'sluice';
