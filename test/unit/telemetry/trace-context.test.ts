import assert from 'node:assert/strict';
import { test } from 'node:test';
import { context, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import {
  extractTraceContext,
  formatTraceparent,
  injectTraceContext,
  parseTraceparent,
  upstreamSpanContext,
} from '../../../src/telemetry/trace-context.ts';
import { enableContext, memoryTracing } from './otel-test-kit.ts';

enableContext();

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const HEADER = `00-${TRACE}-${SPAN}-01`;

test('parseTraceparent accepts the spec example and rejects malformed values', () => {
  assert.deepEqual(parseTraceparent(HEADER), {
    traceId: TRACE,
    spanId: SPAN,
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
  assert.equal(parseTraceparent(`00-${TRACE}-${SPAN}-00`)?.traceFlags, TraceFlags.NONE);
  assert.equal(parseTraceparent(`ff-${TRACE}-${SPAN}-01`), undefined, 'version ff is invalid');
  assert.equal(parseTraceparent(`00-${'0'.repeat(32)}-${SPAN}-01`), undefined, 'all-zero trace id');
  assert.equal(parseTraceparent(`00-${TRACE}-${'0'.repeat(16)}-01`), undefined, 'all-zero span id');
  assert.equal(parseTraceparent(`00-${TRACE.toUpperCase()}-${SPAN}-01`), undefined, 'upper case is invalid');
  assert.equal(parseTraceparent(`00-${TRACE}-${SPAN}-01-extra`), undefined, 'v00 has exactly four fields');
  assert.equal(parseTraceparent(`01-${TRACE}-${SPAN}-01-future`)?.traceId, TRACE, 'later versions may append fields');
  assert.equal(parseTraceparent('garbage'), undefined);
});

test('extract then inject round-trips traceparent and tracestate; header names are case-insensitive', () => {
  const ctx = extractTraceContext({ TraceParent: HEADER, tracestate: 'vendor=abc,other=1' }, ROOT_CONTEXT);
  const spanContext = trace.getSpanContext(ctx);
  assert.equal(spanContext?.traceId, TRACE);
  assert.equal(spanContext?.spanId, SPAN);
  assert.equal(spanContext?.isRemote, true);
  assert.deepEqual(injectTraceContext(ctx), { traceparent: HEADER, tracestate: 'vendor=abc,other=1' });
});

test('no or invalid headers: extract returns the base context, inject returns no headers', () => {
  const base = ROOT_CONTEXT.setValue(Symbol.for('marker'), 1);
  assert.equal(extractTraceContext(undefined, base), base);
  assert.equal(extractTraceContext({}, base), base);
  assert.equal(extractTraceContext({ traceparent: 'nope' }, base), base);
  assert.deepEqual(injectTraceContext(ROOT_CONTEXT), {});
  assert.equal(upstreamSpanContext({ traceparent: 'nope' }), undefined);
  assert.equal(upstreamSpanContext({ traceparent: HEADER })?.spanId, SPAN);
});

test('spans started in an extracted context continue the upstream trace; inject then carries the new span', () => {
  const tracing = memoryTracing();
  const upstream = extractTraceContext({ traceparent: HEADER }, ROOT_CONTEXT);
  const span = tracing.tracer.startSpan('work', {}, upstream);
  const headers = context.with(trace.setSpan(upstream, span), () => injectTraceContext());
  span.end();
  const finished = tracing.spans()[0]!;
  assert.equal(finished.spanContext().traceId, TRACE);
  assert.equal(finished.parentSpanContext?.spanId, SPAN);
  assert.equal(headers.traceparent, formatTraceparent(finished.spanContext()));
  assert.notEqual(headers.traceparent, HEADER);
});

test('without an SDK the upstream context still passes through to output headers', () => {
  const upstream = extractTraceContext({ traceparent: HEADER }, ROOT_CONTEXT);
  const noop = trace.getTracer('no-sdk').startSpan('x', {}, upstream);
  assert.deepEqual(injectTraceContext(trace.setSpan(ROOT_CONTEXT, noop)), { traceparent: HEADER });
});
