// Reading the services' own OpenAPI documents: fetch, resolve $refs, turn the OpenAPI 3.0 schema subset the
// kit emits into fast-check arbitraries (valid and deliberately invalid values) and into ajv validators.
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { serviceAuth, url } from '@shop/testkit';
import type { Service } from './contract';

export type Schema = {
  type?: string;
  format?: string;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean | number;
  exclusiveMaximum?: boolean | number;
  nullable?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  $ref?: string;
  default?: unknown;
  [key: string]: unknown;
};

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: Schema;
}

export interface Operation {
  method: string;
  /** OpenAPI path, e.g. /customers/{username} */
  path: string;
  operationId: string;
  security: Array<Record<string, string[]>>;
  parameters: Parameter[];
  body?: Schema;
  /** status → JSON schema of the body (undefined: no body) and its media type */
  responses: Record<string, { mediaType?: string; schema?: Schema }>;
}

export type OpenApiDoc = {
  openapi: string;
  paths: Record<string, Record<string, any>>;
  components?: { schemas?: Record<string, Schema> };
};

/** The public document (`/openapi.json`), or with `auth` (a calling service's credential) the internal one. */
export async function fetchDocument(baseUrl: string, auth?: Record<string, string>): Promise<OpenApiDoc> {
  const where = `${baseUrl}/${auth ? 'internal/' : ''}openapi.json`;
  const res = await fetch(where, { headers: auth });
  if (res.status !== 200) throw new Error(`${where} answered ${res.status}`);
  return (await res.json()) as OpenApiDoc;
}

/**
 * The header that opens a service's `/internal/openapi.json`: the credential of a service that calls it (sales for
 * customers and inventory, reviews for sales). Nobody calls reviews: it has no internal routes.
 */
export const internalReader = (service: Service) => (service === 'reviews' ? undefined : serviceAuth(service));

/** One document with the routes of both: the public one's, and the internal one's paths and components added. */
export function mergeDocuments(publicDoc: OpenApiDoc, internalDoc: OpenApiDoc | undefined): OpenApiDoc {
  if (!internalDoc) return publicDoc;
  const components = { ...publicDoc.components } as Record<string, Record<string, unknown> | undefined>;
  for (const [kind, entries] of Object.entries(internalDoc.components ?? {})) components[kind] = { ...components[kind], ...(entries as object) };
  return { ...publicDoc, paths: { ...publicDoc.paths, ...internalDoc.paths }, components };
}

/** Every route a running service documents, public and internal, in one document. */
export async function fetchAllRoutes(service: Service): Promise<OpenApiDoc> {
  const reader = internalReader(service);
  return mergeDocuments(await fetchDocument(url(service)), reader && (await fetchDocument(url(service), reader)));
}

/** Inlines every local `$ref` (the kit's documents have no recursive schemas). */
export function deref<T>(doc: OpenApiDoc, value: T, seen: string[] = []): T {
  if (Array.isArray(value)) return value.map((v) => deref(doc, v, seen)) as T;
  if (!value || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  if (typeof obj.$ref === 'string') {
    const ref = obj.$ref;
    if (seen.includes(ref)) throw new Error(`recursive $ref ${ref}`);
    const target = ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<any>((node, key) => node?.[key], doc);
    if (!target) throw new Error(`unresolved $ref ${ref}`);
    return deref(doc, target, [...seen, ref]);
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, deref(doc, v, seen)])) as T;
}

export function operations(doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const op = deref(doc, raw);
      const responses: Operation['responses'] = {};
      for (const [status, response] of Object.entries<any>(op.responses ?? {})) {
        const [mediaType, media] = Object.entries<any>(response.content ?? {})[0] ?? [];
        responses[status] = { mediaType, schema: media?.schema };
      }
      ops.push({
        method,
        path,
        operationId: op.operationId,
        security: op.security ?? doc['security' as never] ?? [],
        parameters: [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p) => deref(doc, p)),
        body: op.requestBody?.content?.['application/json']?.schema,
        responses,
      });
    }
  }
  return ops;
}

/** Who may call an operation, as its document says. */
export function documentedAccess(op: Operation): 'public' | 'optional' | 'bearer' | 'service' {
  const names = op.security.map((s) => Object.keys(s)[0]);
  // Internal routes name one scheme per calling service (`sales-service`…).
  if (names.some((name) => name?.endsWith('-service'))) return 'service';
  if (names.includes('bearer')) return names.includes(undefined) ? 'optional' : 'bearer';
  return 'public';
}

// ---------------------------------------------------------------------------------------------------------
// JSON Schema (OpenAPI 3.0 subset) → fast-check

function merge(schema: Schema): Schema {
  if (!schema.allOf) return schema;
  const { allOf, ...rest } = schema;
  return allOf.map(merge).reduce<Schema>(
    (acc, part) => ({
      ...acc,
      ...part,
      properties: { ...acc.properties, ...part.properties },
      required: [...(acc.required ?? []), ...(part.required ?? [])],
    }),
    rest,
  );
}

const huge = 'x'.repeat(10_000);

/** Values the schema accepts. */
export function valid(schema: Schema): fc.Arbitrary<unknown> {
  schema = merge(schema);
  if (schema.anyOf || schema.oneOf) return fc.oneof(...(schema.anyOf ?? schema.oneOf)!.map(valid));
  let arb = validNonNull(schema);
  if (schema.nullable) arb = fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: fc.constant(null) });
  return arb;
}

function validNonNull(schema: Schema): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'string':
      return validString(schema);
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? -1_000_000;
      const max = schema.maximum ?? Math.max(min, 0) + 1_000_000;
      const lo = schema.exclusiveMinimum === true ? min + 1 : min;
      const hi = schema.exclusiveMaximum === true ? max - 1 : max;
      // Mostly small values near the lower bound (where real data lives), sometimes the boundaries.
      return fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: lo, max: Math.min(hi, lo + 1000) }) },
        { weight: 1, arbitrary: fc.constantFrom(lo, hi) },
        { weight: 1, arbitrary: fc.integer({ min: lo, max: hi }) },
      );
    }
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(valid(schema.items ?? {}), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 3, 3) });
    case 'object':
    case undefined:
      if (!schema.properties) return schema.type === 'object' ? fc.constant({}) : fc.anything();
      return validObject(schema);
    default:
      throw new Error(`unsupported schema type ${schema.type}`);
  }
}

function validString(schema: Schema): fc.Arbitrary<string> {
  if (schema.format === 'uuid') return fc.uuid({ version: 4 });
  if (schema.format === 'date-time') return fc.date({ min: new Date(2000, 0, 1), max: new Date(2100, 0, 1), noInvalidDate: true }).map((d) => d.toISOString());
  const minLength = schema.minLength ?? 0;
  const maxLength = schema.maxLength ?? Math.max(minLength, 40);
  if (schema.pattern) {
    return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= minLength && s.length <= maxLength);
  }
  // Any code point (NUL, controls, astral characters: what a database or a log line may choke on), and
  // sometimes the longest string allowed. Lengths are UTF-16 units, as JavaScript (and zod) count them.
  const fits = (s: string) => s.length >= minLength && s.length <= maxLength;
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength, maxLength: Math.min(maxLength, minLength + 30), unit: 'binary' }).filter(fits) },
    { weight: 1, arbitrary: fc.string({ minLength: maxLength, maxLength, unit: 'grapheme-ascii' }) },
  );
}

function validObject(schema: Schema): fc.Arbitrary<Record<string, unknown>> {
  const required = new Set(schema.required ?? []);
  const model = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, valid(s)]));
  return fc.record(model, { requiredKeys: [...required].filter((k) => k in model) });
}

export type Mutation = { kind: string; value: unknown };

/** A value of the wrong JSON type for the schema. */
function wrongType(schema: Schema): fc.Arbitrary<unknown> {
  const s = merge(schema);
  const choices: unknown[] = [[], { nested: true }, true, 12.5, 'not-a-number', -1];
  const bad = choices.filter((v) => {
    if (v === null) return !s.nullable;
    if (Array.isArray(v)) return s.type !== 'array';
    if (typeof v === 'object') return s.type !== 'object' && s.type !== undefined;
    if (typeof v === 'boolean') return s.type !== 'boolean';
    if (typeof v === 'string') return s.type !== 'string';
    if (typeof v === 'number') return s.type !== 'number' && (s.type !== 'integer' || !Number.isInteger(v)) && !s.enum?.includes(v);
    return true;
  });
  return fc.constantFrom(...(bad.length ? bad : [Symbol.for('none')]));
}

/** Values the schema rejects: wrong type, outside the bounds, not in the enum, too long, malformed format. */
export function invalid(schema: Schema): fc.Arbitrary<Mutation> {
  const s = merge(schema);
  const options: fc.Arbitrary<Mutation>[] = [wrongType(s).map((value) => ({ kind: 'wrong type', value }))];
  if (!s.nullable && s.type !== undefined) options.push(fc.constant({ kind: 'null', value: null }));
  if (s.enum) options.push(fc.constant({ kind: 'not in enum', value: `zz-${String(s.enum[0])}-not-a-member` }));
  if (s.type === 'integer' || s.type === 'number') {
    if (s.minimum !== undefined)
      options.push(fc.integer({ min: Math.min(-1e9, s.minimum - 1e9), max: s.minimum - 1 }).map((value) => ({ kind: 'below minimum', value })));
    if (s.maximum !== undefined) options.push(fc.integer({ min: s.maximum + 1, max: s.maximum + 1e9 }).map((value) => ({ kind: 'above maximum', value })));
    if (s.type === 'integer') options.push(fc.constantFrom(0.5, 1.25, 1e300).map((value) => ({ kind: 'not an integer', value })));
  }
  if (s.type === 'string') {
    if (s.maxLength !== undefined) options.push(fc.constant({ kind: 'too long', value: 'y'.repeat(s.maxLength + 1) }));
    if (s.minLength) options.push(fc.constant({ kind: 'too short', value: 'y'.repeat(s.minLength - 1) }));
    if (s.format === 'uuid') options.push(fc.constantFrom('not-a-uuid', '12345', "' OR 1=1 --").map((value) => ({ kind: 'bad uuid', value })));
    if (s.format === 'date-time') options.push(fc.constant({ kind: 'bad date', value: 'yesterday' }));
    if (s.pattern)
      options.push(
        fc
          .constantFrom('has space!', '../../etc', '<script>')
          .filter((v) => !new RegExp(s.pattern!).test(v))
          .map((value) => ({ kind: 'pattern', value })),
      );
    if (!s.enum && s.maxLength === undefined && !s.format && !s.pattern) options.push(fc.constant({ kind: 'huge string', value: huge }));
  }
  if (s.type === 'object' && s.properties) {
    const props = Object.entries(s.properties);
    const required = s.required ?? [];
    const base = validObject(s);
    if (required.length) {
      options.push(
        fc.tuple(base, fc.constantFrom(...required)).map(([obj, key]) => {
          const copy = { ...obj };
          delete copy[key];
          return { kind: `missing ${key}`, value: copy };
        }),
      );
    }
    if (s.additionalProperties === false) {
      options.push(
        fc
          .tuple(base, fc.constantFrom('role', 'balanceCents', 'id', 'isAdmin', '__proto__x'))
          .map(([obj, key]) => ({ kind: `extra ${key}`, value: { ...obj, [key]: 'x' } })),
      );
    }
    // One property broken, the rest valid.
    options.push(
      fc
        .tuple(base, fc.constantFrom(...props))
        .chain(([obj, [key, propSchema]]) => invalid(propSchema).map((m) => ({ kind: `${key}: ${m.kind}`, value: { ...obj, [key]: m.value } }))),
    );
  }
  if (s.type === 'array' && s.maxItems !== undefined) {
    options.push(fc.constant({ kind: 'too many items', value: Array.from({ length: s.maxItems + 1 }, () => null) }));
  }
  return fc.oneof(...options).filter((m) => m.value !== Symbol.for('none'));
}

// ---------------------------------------------------------------------------------------------------------
// ajv

/** OpenAPI 3.0 Schema Object → JSON Schema draft-07 (nullable → type union; `example` dropped). */
export function toJsonSchema(schema: Schema): Record<string, unknown> {
  if (Array.isArray(schema)) return schema.map(toJsonSchema) as never;
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'nullable' || key === 'example' || key === 'examples') continue;
    if (key === 'properties') out.properties = Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, toJsonSchema(v)]));
    else if (['items', 'additionalProperties', 'not'].includes(key) && typeof value === 'object') out[key] = toJsonSchema(value as Schema);
    else if (['allOf', 'anyOf', 'oneOf'].includes(key)) out[key] = (value as Schema[]).map(toJsonSchema);
    else out[key] = value;
  }
  if (schema.nullable) {
    if (out.enum) out.enum = [...(out.enum as unknown[]), null];
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (!out.type) return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const compiled = new WeakMap<object, ValidateFunction>();

/** ajv errors for `value` against an OpenAPI schema, or [] when it conforms. */
export function schemaErrors(schema: Schema, value: unknown): string[] {
  let validate = compiled.get(schema);
  if (!validate) compiled.set(schema, (validate = ajv.compile(toJsonSchema(schema))));
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}
