/**
 * A small OTLP/HTTP receiver on loopback for integration tests: accepts `http/json` exports on /v1/traces,
 * /v1/metrics and /v1/logs (gzip or plain), decodes them into plain objects, and answers like a collector
 * (200 `{}`). `http/protobuf` requests are refused with 415 — tests set OTEL_EXPORTER_OTLP_PROTOCOL=http/json —
 * unless `acceptProtobuf` is set (benchmarks): then they are counted (`protobufBytes`) and acknowledged with an
 * empty protobuf response, without decoding.
 *
 * Decoding follows the OTLP JSON mapping (opentelemetry-proto, "JSON Protobuf Encoding"): ids as hex strings,
 * 64-bit integers as strings, AnyValue as {stringValue|intValue|doubleValue|boolValue|arrayValue|kvlistValue}.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type Attrs = Record<string, unknown>;

export interface ReceivedSpan {
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly kind: number;
  readonly attributes: Attrs;
  readonly events: readonly { name: string; attributes: Attrs }[];
  readonly links: readonly { traceId: string; spanId: string; attributes: Attrs }[];
  readonly status: { code: number; message?: string };
  readonly resource: Attrs;
  readonly scope: string;
}

export interface ReceivedPoint {
  readonly attributes: Attrs;
  /** Sum and gauge points. */
  readonly value?: number;
  /** Histogram points. */
  readonly count?: number;
  readonly sum?: number;
}

export interface ReceivedMetric {
  readonly name: string;
  readonly unit?: string;
  readonly type: 'sum' | 'gauge' | 'histogram' | 'other';
  readonly points: readonly ReceivedPoint[];
  readonly resource: Attrs;
}

export interface OtlpReceiver {
  /** Base URL for OTEL_EXPORTER_OTLP_ENDPOINT (`http://127.0.0.1:port`). */
  readonly url: string;
  readonly spans: ReceivedSpan[];
  readonly metrics: ReceivedMetric[];
  /** Every request received: path and content type. */
  readonly requests: { path: string; contentType: string; status: number }[];
  /** Every json request body as received (decompressed), to search for leaked secrets. */
  readonly rawBodies: string[];
  /** Bytes of acknowledged, undecoded protobuf requests (with `acceptProtobuf`). */
  readonly protobufBytes: () => number;
  close(): Promise<void>;
}

export async function startOtlpReceiver(options: { acceptProtobuf?: boolean } = {}): Promise<OtlpReceiver> {
  let protobufBytes = 0;
  const spans: ReceivedSpan[] = [];
  const metrics: ReceivedMetric[] = [];
  const requests: OtlpReceiver['requests'] = [];
  const rawBodies: string[] = [];
  const server: Server = createServer((req, res) => {
    readBody(req)
      .then((body) => {
        const path = (req.url ?? '').split('?')[0] ?? '';
        const contentType = String(req.headers['content-type'] ?? '');
        let status = 200;
        if (req.method === 'POST' && contentType.includes('protobuf') && options.acceptProtobuf) {
          protobufBytes += body.length;
          requests.push({ path, contentType, status });
          res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end();
          return;
        }
        rawBodies.push(body.toString('utf8'));
        if (req.method !== 'POST') status = 405;
        else if (!contentType.includes('json')) status = 415;
        else {
          const json: unknown = JSON.parse(body.toString('utf8'));
          if (path === '/v1/traces') spans.push(...decodeTraces(json));
          else if (path === '/v1/metrics') metrics.push(...decodeMetrics(json));
          else if (path !== '/v1/logs') status = 404;
        }
        requests.push({ path, contentType, status });
        res
          .writeHead(status, { 'content-type': 'application/json' })
          .end(status === 200 ? '{}' : JSON.stringify({ error: `status ${status}` }));
      })
      .catch((error: unknown) => {
        requests.push({ path: req.url ?? '', contentType: String(req.headers['content-type'] ?? ''), status: 400 });
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(error) }));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    metrics,
    requests,
    rawBodies,
    protobufBytes: () => protobufBytes,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
}

type Json = Record<string, unknown>;
const list = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);

export function anyValue(value: unknown): unknown {
  const v = (value ?? {}) as Json;
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return Number(v.doubleValue);
  if ('boolValue' in v) return v.boolValue;
  if ('arrayValue' in v) return list((v.arrayValue as Json | undefined)?.values).map(anyValue);
  if ('kvlistValue' in v) return attributes((v.kvlistValue as Json | undefined)?.values);
  return undefined;
}

export function attributes(kvs: unknown): Attrs {
  const out: Attrs = {};
  for (const kv of list(kvs)) out[String(kv.key)] = anyValue(kv.value);
  return out;
}

function decodeTraces(json: unknown): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of list((json as Json).resourceSpans)) {
    const resource = attributes((rs.resource as Json | undefined)?.attributes);
    for (const ss of list(rs.scopeSpans)) {
      const scope = String((ss.scope as Json | undefined)?.name ?? '');
      for (const s of list(ss.spans)) {
        const parent = typeof s.parentSpanId === 'string' && s.parentSpanId !== '' ? s.parentSpanId : undefined;
        const status = (s.status ?? {}) as Json;
        out.push({
          name: String(s.name),
          traceId: String(s.traceId),
          spanId: String(s.spanId),
          parentSpanId: parent,
          kind: Number(s.kind ?? 0),
          attributes: attributes(s.attributes),
          events: list(s.events).map((e) => ({ name: String(e.name), attributes: attributes(e.attributes) })),
          links: list(s.links).map((l) => ({
            traceId: String(l.traceId),
            spanId: String(l.spanId),
            attributes: attributes(l.attributes),
          })),
          status: {
            code: Number(status.code ?? 0),
            message: typeof status.message === 'string' ? status.message : undefined,
          },
          resource,
          scope,
        });
      }
    }
  }
  return out;
}

function decodeMetrics(json: unknown): ReceivedMetric[] {
  const out: ReceivedMetric[] = [];
  for (const rm of list((json as Json).resourceMetrics)) {
    const resource = attributes((rm.resource as Json | undefined)?.attributes);
    for (const sm of list(rm.scopeMetrics)) {
      for (const m of list(sm.metrics)) {
        const type = 'sum' in m ? 'sum' : 'gauge' in m ? 'gauge' : 'histogram' in m ? 'histogram' : 'other';
        const body = (m[type] ?? {}) as Json;
        const points = list(body.dataPoints).map((p): ReceivedPoint => {
          if (type === 'histogram')
            return { attributes: attributes(p.attributes), count: Number(p.count), sum: Number(p.sum) };
          const raw = 'asInt' in p ? p.asInt : p.asDouble;
          return { attributes: attributes(p.attributes), value: Number(raw) };
        });
        out.push({
          name: String(m.name),
          unit: typeof m.unit === 'string' ? m.unit : undefined,
          type,
          points,
          resource,
        });
      }
    }
  }
  return out;
}
