/**
 * A deterministic, schema-valid instance of any JSON Schema (the subset OpenAI structured outputs and zod's
 * toJSONSchema produce): type / type arrays, enum, const, object properties (every property is filled, so
 * `required` always holds), arrays with minItems/maxItems, strings with min/maxLength and common formats, numbers
 * with minimum/maximum/exclusive bounds/multipleOf, booleans, null, anyOf/oneOf (first non-null branch), allOf
 * (merged), local $ref (#/$defs/..., #/definitions/...). Values derive from a seed and the property path only.
 */
import { fnv1a } from './rng.ts';

export type JsonSchema = { readonly [key: string]: unknown } | boolean;

type Obj = { readonly [key: string]: unknown };

const WORDS = [
  'alpha',
  'bravo',
  'delta',
  'echo',
  'lima',
  'nova',
  'orbit',
  'pixel',
  'quartz',
  'river',
  'sigma',
  'tango',
];
const MAX_DEPTH = 12;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function resolveRef(ref: string, root: Obj): Obj | undefined {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObj(node) ? node[key] : undefined;
  }
  return isObj(node) ? node : undefined;
}

function pickType(schema: Obj): string | undefined {
  const t = schema.type;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return (t.find((x) => x !== 'null') ?? t[0]) as string | undefined;
  if (isObj(schema.properties)) return 'object';
  if (schema.items !== undefined) return 'array';
  return undefined;
}

function stringFor(schema: Obj, seed: number): string {
  switch (schema.format) {
    case 'date-time':
      return new Date(Date.UTC(2024, 0, 1) + (seed % 31_536_000) * 1000).toISOString();
    case 'date':
      return new Date(Date.UTC(2024, 0, 1) + (seed % 365) * 86_400_000).toISOString().slice(0, 10);
    case 'email':
      return `user${seed % 10_000}@example.com`;
    case 'uri':
    case 'url':
      return `https://example.com/${seed.toString(16)}`;
    case 'uuid': {
      const h = (seed.toString(16).padStart(8, '0') + fnv1a(String(seed)).toString(16).padStart(8, '0')).repeat(2);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
    }
  }
  let s = `${WORDS[seed % WORDS.length]} ${seed.toString(36)}`;
  const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
  while (s.length < min) s += ` ${WORDS[(seed + s.length) % WORDS.length]}`;
  return s.length > max ? s.slice(0, max) : s;
}

function numberFor(schema: Obj, seed: number, integer: boolean): number {
  const exMin = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum : undefined;
  const exMax = typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum : undefined;
  let lo = typeof schema.minimum === 'number' ? schema.minimum : exMin !== undefined ? exMin + (integer ? 1 : 1e-6) : 0;
  let hi =
    typeof schema.maximum === 'number' ? schema.maximum : exMax !== undefined ? exMax - (integer ? 1 : 1e-6) : lo + 100;
  if (integer) {
    lo = Math.ceil(lo);
    hi = Math.floor(hi);
  }
  if (hi < lo) hi = lo;
  let v = integer ? lo + (seed % (hi - lo + 1)) : lo + ((seed % 10_000) / 10_000) * (hi - lo);
  if (typeof schema.multipleOf === 'number' && schema.multipleOf > 0) {
    v = Math.ceil(lo / schema.multipleOf) * schema.multipleOf;
  }
  return integer ? Math.round(v) : Math.round(v * 1000) / 1000;
}

function generate(schema: unknown, root: Obj, seed: number, path: string, depth: number): unknown {
  if (schema === true || !isObj(schema)) return null;
  const s = (seed ^ fnv1a(path)) >>> 0;
  if (typeof schema.$ref === 'string') {
    const target = resolveRef(schema.$ref, root);
    return target && depth < MAX_DEPTH ? generate(target, root, seed, path, depth + 1) : null;
  }
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[s % schema.enum.length];
  const branches = (schema.anyOf ?? schema.oneOf) as unknown;
  if (Array.isArray(branches) && branches.length > 0) {
    const nonNull = branches.find((b) => !(isObj(b) && b.type === 'null')) ?? branches[0];
    return generate(nonNull, root, seed, path, depth + 1);
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) {
    const merged: Record<string, unknown> = {};
    for (const part of schema.allOf) if (isObj(part)) Object.assign(merged, part);
    return generate(merged, root, seed, path, depth + 1);
  }
  switch (pickType(schema)) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = isObj(schema.properties) ? schema.properties : {};
      if (depth >= MAX_DEPTH) return out;
      for (const key of Object.keys(props)) out[key] = generate(props[key], root, seed, `${path}.${key}`, depth + 1);
      return out;
    }
    case 'array': {
      const min = typeof schema.minItems === 'number' ? schema.minItems : 1;
      const max = typeof schema.maxItems === 'number' ? schema.maxItems : Math.max(min, 3);
      const n = depth >= MAX_DEPTH ? min : Math.min(max, Math.max(min, 1 + (s % 3)));
      const items = Array.isArray(schema.prefixItems) ? schema.prefixItems : undefined;
      return Array.from({ length: n }, (_, i) =>
        generate(items?.[i] ?? schema.items ?? {}, root, seed, `${path}[${i}]`, depth + 1),
      );
    }
    case 'string':
      return stringFor(schema, s);
    case 'integer':
      return numberFor(schema, s, true);
    case 'number':
      return numberFor(schema, s, false);
    case 'boolean':
      return s % 2 === 0;
    case 'null':
      return null;
    default:
      return stringFor(schema, s);
  }
}

/** A schema-valid instance of `schema`, fully determined by (schema, seed). */
export function schemaInstance(schema: JsonSchema, seed: number): unknown {
  if (typeof schema === 'boolean') return schema ? {} : null;
  return generate(schema, schema, seed >>> 0, '$', 0);
}
