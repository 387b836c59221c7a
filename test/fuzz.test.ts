// Contract fuzzing: every operation each running service documents in its /openapi.json gets requests
// generated from its own schemas — valid ones and deliberately broken ones — sent with real tokens. Whatever
// comes back must keep the contract: no 5xx, errors are problem+json with a contract code, 2xx bodies match
// the documented schema, every status is a documented one, and what the document calls invalid is refused.
import { execFileSync } from 'node:child_process';
import zlib from 'node:zlib';
import fc from 'fast-check';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { admin, api, serviceAuth, sessionIdOf, system } from '@shop/testkit';
import { problemViolations, runningServices, type Service } from './support/contract';
import { World, fixtureReceiver, fundAdmin } from './support/fixtures';
import {
  documentedAccess,
  internalReader,
  invalid,
  mergeDocuments,
  operations,
  schemaErrors,
  toJsonSchema,
  valid,
  type OpenApiDoc,
  type Operation,
  type Parameter,
  type Schema,
} from './support/openapi';

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

// Jest needs the test names before any test runs: read the documents synchronously, from the running system. Both
// of them: the public /openapi.json and the internal one, read with the credential of a service that calls this one.
const DOCUMENTS_SCRIPT = `
const [base, authorization] = process.argv.slice(1);
const read = (path, headers) => fetch(base + path, { headers }).then((r) => { if (!r.ok) throw new Error(path + ' answered ' + r.status); return r.json(); });
Promise.all([read('/openapi.json'), authorization ? read('/internal/openapi.json', { authorization }) : null]).then((d) => process.stdout.write(JSON.stringify(d)));`;
const docs = Object.fromEntries(
  runningServices().map((service) => {
    const args = ['-e', DOCUMENTS_SCRIPT, system().urls[service], internalReader(service)?.Authorization ?? ''];
    const [publicDoc, internalDoc] = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' })) as [OpenApiDoc, OpenApiDoc | null];
    return [service, mergeDocuments(publicDoc, internalDoc ?? undefined)];
  }),
) as Record<Service, OpenApiDoc>;

type Caller = 'none' | 'owner' | 'other' | 'admin' | 'service';
interface Generated {
  mode: 'valid' | 'invalid';
  what: string;
  caller: Caller;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body?: unknown;
}

// Path/query values and body fields the fuzzer also draws from real data, so valid requests reach the handlers.
interface Known {
  [name: string]: string[];
}
async function knownValues(service: Service, op: Operation, world: World): Promise<Known> {
  const owner = await world.owner();
  const item = await world.item();
  const known: Known = { username: [owner.username], itemId: [item.id], customerId: [owner.id], sessionId: [sessionIdOf(owner.token)] };
  if (op.path.startsWith('/internal/customers/')) known.id = [owner.id];
  if (/^\/(items|goods)\/\{id\}/.test(op.path)) known.id = [item.id];
  if (op.path.startsWith('/sales/')) known.id = [(await world.sale()).id];
  if (op.path.startsWith('/reviews/')) known.id = [(await world.approvedReview()).id, (await world.pendingReview()).id];
  if (op.path.includes('/transactions/')) known.id = [(await world.transaction()).id];
  if (op.path.includes('/sessions/{id}')) known.id = [(await world.newSession()).sessionId];
  // The other customer's: the login fuzzing guesses the owner's password until that pair is throttled.
  if (op.path === '/auth/refresh' || op.path === '/auth/logout') known.refreshToken = [(await world.newSession('other')).refreshToken];
  if (op.path === '/internal/wallet/refunds') known.reference = [(await world.debit()).reference];
  if (op.path === '/internal/stock/releases') known.reference = [(await world.reservation()).reference];
  if (op.path.startsWith('/webhooks')) {
    known.url = [(await fixtureReceiver()).url];
    if (op.path.startsWith('/webhooks/')) known.id = [(await world.subscription(service)).id];
    if (op.path.includes('{deliveryId}')) known.deliveryId = [(await world.delivery(service)).id];
  }
  return known;
}

const coercing = new Ajv({ strict: false, coerceTypes: 'array' });
addFormats(coercing);
/** Would the service, reading this string from a URL, take it as valid? (query and path values are strings) */
function stringAccepted(schema: Schema, text: string | string[]): boolean {
  const data = { v: text };
  return coercing.validate({ type: 'object', properties: { v: toJsonSchema(schema) } }, data);
}
const asQuery = (value: unknown): string | string[] =>
  Array.isArray(value) ? value.map((v) => String(v)) : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);

function requestArb(op: Operation, known: Known): fc.Arbitrary<Generated> {
  const access = documentedAccess(op);
  const callers: Caller[] = access === 'service' ? ['service'] : access === 'bearer' ? ['owner', 'other', 'admin'] : ['none', 'owner', 'admin'];
  const params = (where: Parameter['in']) => op.parameters.filter((p) => p.in === where);
  const valueOf = (p: Parameter) => {
    const real = known[p.name];
    return real ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...real) }, { weight: 1, arbitrary: valid(p.schema) }) : valid(p.schema);
  };

  const pathArb = fc.record(Object.fromEntries(params('path').map((p) => [p.name, valueOf(p).map(String)])));
  const queryArb = fc.record(Object.fromEntries(params('query').map((p) => [p.name, valueOf(p).map(asQuery)])), {
    requiredKeys: params('query')
      .filter((p) => p.required)
      .map((p) => p.name),
  });
  // Header values: visible ASCII only (what HTTP can carry), within the documented lengths.
  const headerValue = (p: Parameter) =>
    fc.string({
      unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
      minLength: p.schema.minLength ?? 0,
      maxLength: Math.min(p.schema.maxLength ?? 64, 64),
    });
  const headerArb = fc.record(Object.fromEntries(params('header').map((p) => [p.name, headerValue(p)])), {
    requiredKeys: params('header')
      .filter((p) => p.required)
      .map((p) => p.name),
  });
  const bodyArb = op.body
    ? fc
        .tuple(valid(op.body), fc.boolean())
        .map(([body, seeded]) => {
          if (!seeded || !body || typeof body !== 'object') return body;
          const copy = { ...(body as Record<string, unknown>) };
          for (const key of Object.keys(copy)) if (known[key]) copy[key] = known[key][0];
          return copy;
        })
        // A webhook URL is always the local receiver's: a fuzzed one would send deliveries to random addresses.
        .map((body) => (known.url && body && typeof body === 'object' && 'url' in body ? { ...(body as object), url: known.url[0] } : body))
    : fc.constant(undefined);

  const validArb = fc.record({ caller: fc.constantFrom(...callers), path: pathArb, query: queryArb, headers: headerArb, body: bodyArb });

  // One thing broken at a time, everything else valid.
  const targets: fc.Arbitrary<{ what: string; apply: (r: { path: any; query: any; headers: any; body: any }) => void }>[] = [];
  if (op.body) {
    targets.push(
      invalid(op.body)
        .filter((m) => schemaErrors(op.body!, m.value).length > 0)
        .map((m) => ({ what: `body ${m.kind}`, apply: (r) => (r.body = m.value) })),
    );
  }
  for (const p of [...params('path'), ...params('query')]) {
    targets.push(
      invalid(p.schema)
        .map((m) => ({ m, text: asQuery(m.value) }))
        .filter(({ m, text }) => m.value !== null && text !== '' && !(Array.isArray(text) && text.length === 0) && !stringAccepted(p.schema, text))
        .map(({ m, text }) => ({ what: `${p.in} ${p.name} ${m.kind}`, apply: (r) => (r[p.in as 'path' | 'query'][p.name] = text) })),
    );
  }
  const invalidArb = targets.length
    ? fc.tuple(validArb, fc.oneof(...targets)).map(([r, t]) => {
        const copy = { ...r, path: { ...r.path }, query: { ...r.query } };
        t.apply(copy);
        return { ...copy, mode: 'invalid' as const, what: t.what };
      })
    : undefined;

  const toRequest = (r: {
    caller: Caller;
    path: Record<string, string>;
    query: any;
    headers: any;
    body: unknown;
    mode: 'valid' | 'invalid';
    what: string;
  }): Generated => ({
    mode: r.mode,
    what: r.what,
    caller: r.caller,
    path: op.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(r.path[name] ?? '')),
    query: r.query,
    headers: r.headers,
    body: r.body,
  });
  const validReq = validArb.map((r) => toRequest({ ...r, mode: 'valid', what: 'valid' }));
  return invalidArb ? fc.oneof(validReq, invalidArb.map(toRequest)) : validReq;
}

const stats = { cases: 0, byService: {} as Record<string, number>, docGaps: [] as string[], observed: new Map<string, Set<string>>() };

describe.each(runningServices())('%s: contract fuzzing of every documented operation', (service) => {
  const doc = docs[service];
  // Patches and deletes get their own data, so they cannot pull the shared fixtures from under the rest.
  const ops = operations(doc);
  const shared = new World();

  beforeAll(async () => {
    await admin();
    await fundAdmin();
  });

  it('documents at least one operation', () => {
    expect(ops.length).toBeGreaterThan(0);
  });

  it.each(ops.map((op) => [`${op.method.toUpperCase()} ${op.path}`, op] as const))('%s keeps the contract', async (_name, op) => {
    const world = op.method === 'patch' || op.method === 'delete' ? new World() : shared;
    const known = await knownValues(service, op, world);
    const tokens: Record<Caller, Record<string, string>> = {
      none: {},
      owner: (await world.owner()).auth,
      other: (await world.other()).auth,
      admin: (await admin()).auth,
      service: service === 'reviews' ? {} : serviceAuth(service),
    };
    const seen = stats.observed.get(`${service} ${op.method} ${op.path}`) ?? new Set<string>();
    stats.observed.set(`${service} ${op.method} ${op.path}`, seen);

    await fc.assert(
      fc.asyncProperty(requestArb(op, known), async (req) => {
        stats.cases++;
        stats.byService[service] = (stats.byService[service] ?? 0) + 1;
        let call = (api(service) as any)[op.method](req.path).query(req.query).set(tokens[req.caller]).set(req.headers);
        // supertest serialises objects and arrays itself; other JSON values (a bare number, true, null) by hand.
        if (req.body !== undefined)
          call =
            typeof req.body === 'object' && req.body !== null
              ? call.send(req.body)
              : call.set('Content-Type', 'application/json').send(JSON.stringify(req.body));
        const res = await call;
        seen.add(String(res.status));
        // A subscription the fuzzer made would get every later event: drop it at once.
        if (op.method === 'post' && op.path === '/webhooks' && res.status === 201) await api(service).delete(`/webhooks/${res.body.id}`).set(tokens.admin);
        const where = `${op.method.toUpperCase()} ${req.path} as ${req.caller} (${req.what}) → ${res.status} ${res.text?.slice(0, 300)}`;
        const violations: string[] = [];
        if (res.status >= 500) violations.push('5xx answer');
        if (!op.responses[String(res.status)]) violations.push(`undocumented status ${res.status} (documented: ${Object.keys(op.responses).join(',')})`);
        if (res.status >= 400) violations.push(...problemViolations(res.status, res.headers['content-type'], res.body));
        if (res.status >= 200 && res.status < 300) {
          const documented = op.responses[String(res.status)];
          if (documented?.schema) {
            if (!/^application\/json/.test(res.headers['content-type'] ?? '')) violations.push(`2xx content-type ${res.headers['content-type']}`);
            violations.push(...schemaErrors(documented.schema, res.body).map((e) => `response body ${e}`));
          } else if (documented && res.text) violations.push('documented without a body, answered with one');
          if (req.mode === 'invalid') violations.push('accepted a request its own document calls invalid');
        }
        if (req.mode === 'valid' && res.status === 400) stats.docGaps.push(where);
        if (violations.length) throw new Error(`${where}\n  - ${violations.join('\n  - ')}`);
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
  });
});

// Input aimed at the parser rather than the schema: nesting up to 100000 levels (past 32 it is refused before
// JSON.parse; past the 64 KB limit it is not even read), lone surrogates (strings no encoding can store), offsets
// far beyond the cap and the database's integers, and bodies in every Content-Encoding, decodable or not. The oracle: what a local zlib makes of the bytes.
const HOSTILE_RUNS = Math.max(10, Math.round(RUNS / 2));
const BODY_LIMIT = 64 * 1024;
const decoders: Record<string, ((b: Buffer) => Buffer) | undefined> = {
  identity: (b) => b,
  gzip: zlib.gunzipSync,
  deflate: zlib.inflateSync,
  br: zlib.brotliDecompressSync,
};

async function raw(service: Service, method: string, path: string, body: Buffer, headers: Record<string, string>) {
  const res = await fetch(`${system().urls[service]}${path}`, {
    method: method.toUpperCase(),
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  const text = await res.text();
  let parsed: any;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? undefined, body: parsed, text };
}
const concretePath = (op: Operation, username: string) =>
  op.path.replace(/\{(\w+)\}/g, (_m, name: string) => (name === 'username' ? username : '00000000-0000-4000-8000-000000000000'));

describe.each(runningServices())('%s: hostile bodies and queries', (service) => {
  const bodyOps = operations(docs[service]).filter((op) => op.body);
  const listOps = operations(docs[service]).filter((op) => op.parameters.some((p) => p.in === 'query' && p.name === 'offset'));
  const username = () => system().admin.username;

  it('refuses nesting from 33 to 100000 levels on every body route, and keeps answering', async () => {
    // Openers and what closes them; two hide brackets inside strings, which must not count.
    const openers: Array<[string, string]> = [
      ['[', ']'],
      ['{"a":', '}'],
      ['{"k\\"[{":[', ']}'],
      ['["]}",', ']'],
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...bodyOps),
        fc.integer({ min: 33, max: 100_000 }),
        fc.nat(openers.length - 1),
        fc.boolean(),
        async (op, depth, first, closed) => {
          stats.cases++;
          let text = '';
          for (let i = 0; i < depth; i++) text += openers[(first + i) % openers.length]![0];
          if (closed) {
            text += '1';
            for (let i = depth - 1; i >= 0; i--) text += openers[(first + i) % openers.length]![1];
          }
          const body = Buffer.from(text);
          const res = await raw(service, op.method, concretePath(op, username()), body, {});
          const expected = body.length > BODY_LIMIT ? 413 : 400;
          const where = `${op.method.toUpperCase()} ${op.path} depth ${depth} (${body.length} bytes) → ${res.status} ${res.text.slice(0, 200)}`;
          if (res.status !== expected) throw new Error(`${where}: expected ${expected}`);
          const violations = problemViolations(res.status, res.contentType, res.body);
          if (violations.length) throw new Error(`${where}\n  - ${violations.join('\n  - ')}`);
        },
      ),
      { numRuns: HOSTILE_RUNS, seed: SEED, endOnFailure: true },
    );
    expect((await fetch(`${system().urls[service]}/health`)).status).toBe(200);
  });

  it('refuses a lone surrogate in any body, as a value or a key, at any position, naming where it is', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...bodyOps),
        fc.integer({ min: 0xd800, max: 0xdfff }),
        fc.string(),
        fc.string(),
        fc.boolean(),
        async (op, unit, before, after, asKey) => {
          stats.cases++;
          const text = `${before}${String.fromCharCode(unit)}${after}`;
          // JSON.stringify writes the surrogate as the escape \udxxx, as a hostile client would send it.
          const body = asKey ? { [text]: 1 } : { text };
          const res = await raw(service, op.method, concretePath(op, username()), Buffer.from(JSON.stringify(body)), {});
          const path = asKey ? `body.${text}` : 'body.text';
          const where = `${op.method.toUpperCase()} ${op.path} ${JSON.stringify(body)} → ${res.status} ${res.text.slice(0, 200)}`;
          if (res.status !== 400 || res.body?.code !== 'validation_failed' || !res.body.errors?.some((e: { path: string }) => e.path === path)) {
            throw new Error(`${where}: expected 400 validation_failed naming ${JSON.stringify(path)}`);
          }
        },
      ),
      { numRuns: HOSTILE_RUNS, seed: SEED, endOnFailure: true },
    );
  });

  it('refuses offsets above 1000000, however large, on every list', async () => {
    if (!listOps.length) return;
    const adminAuth = (await admin()).auth;
    const huge = fc.oneof(
      fc.integer({ min: 1_000_001, max: Number.MAX_SAFE_INTEGER }).map(String),
      fc.bigInt({ min: 2n ** 53n, max: 10n ** 400n }).map(String),
      fc.constantFrom('1e7', '3000000000', '2147483648', '9223372036854775808', 'Infinity', '1e400'),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...listOps), huge, async (op, offset) => {
        stats.cases++;
        const auth = documentedAccess(op) === 'service' && service !== 'reviews' ? serviceAuth(service) : adminAuth;
        const res = await fetch(`${system().urls[service]}${concretePath(op, username())}?offset=${offset}`, { headers: auth });
        const body = (await res.json()) as { code?: string; errors?: Array<{ path: string }> };
        if (res.status !== 400 || body.code !== 'validation_failed' || !body.errors?.some((e) => e.path === 'query.offset')) {
          throw new Error(`GET ${op.path}?offset=${offset.slice(0, 30)} → ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
        }
      }),
      { numRuns: HOSTILE_RUNS, seed: SEED, endOnFailure: true },
    );
  });

  it('refuses any cursor it did not issue (random text, forged JSON) on every list: 400 naming query.after, never 5xx', async () => {
    if (!listOps.length) return;
    const adminAuth = (await admin()).auth;
    const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const forged = fc.oneof(
      fc.string({ minLength: 1, maxLength: 300 }),
      fc.record({ k: fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxLength: 5 }), h: fc.string() }).map(base64url),
      fc.jsonValue().map(base64url),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...listOps), forged, async (op, after) => {
        stats.cases++;
        const auth = documentedAccess(op) === 'service' && service !== 'reviews' ? serviceAuth(service) : adminAuth;
        const res = await fetch(`${system().urls[service]}${concretePath(op, username())}?after=${encodeURIComponent(after)}`, { headers: auth });
        const body = (await res.json()) as { code?: string; errors?: Array<{ path: string }> };
        // A list under a parent that does not exist may answer 404 first; anything else must name the cursor.
        if (res.status === 404 && body.code === 'not_found') return;
        if (res.status !== 400 || body.code !== 'validation_failed' || !body.errors?.some((e) => e.path === 'query.after')) {
          throw new Error(`GET ${op.path}?after=${after.slice(0, 40)} → ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
        }
      }),
      { numRuns: HOSTILE_RUNS, seed: SEED, endOnFailure: true },
    );
  });

  it("answers bodies in any encoding, decodable or not, with 415 or the decoded body's answer, never 5xx", async () => {
    const encodings = [...Object.keys(decoders), 'compress', 'zstd', 'x-gzip', 'gzip, gzip', 'identity, br'];
    // Bytes: random ones, or a real compressed JSON body cut short or with a byte flipped.
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
      fc
        .tuple(fc.constantFrom(zlib.gzipSync, zlib.deflateSync, zlib.brotliCompressSync), fc.nat(), fc.nat(255), fc.boolean())
        .map(([compress, at, byte, cut]) => {
          const packed = Buffer.from(compress(Buffer.from(JSON.stringify({ username: 'fuzz', password: 'fuzz-password' }))));
          const i = at % packed.length;
          if (cut) return packed.subarray(0, i);
          packed[i] = byte;
          return packed;
        }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...bodyOps), fc.constantFrom(...encodings), payload, async (op, encoding, bytes) => {
        stats.cases++;
        const res = await raw(service, op.method, concretePath(op, username()), bytes, { 'content-encoding': encoding });
        const where = `${op.method.toUpperCase()} ${op.path} Content-Encoding ${encoding}, ${bytes.length} bytes → ${res.status} ${res.text.slice(0, 200)}`;
        const violations = res.status >= 400 ? problemViolations(res.status, res.contentType, res.body) : [];
        const decode = decoders[encoding];
        let decoded: Buffer | undefined;
        try {
          decoded = decode?.(bytes);
        } catch {
          decoded = undefined;
        }
        if (!decode && bytes.length > 0 && res.status !== 415) violations.push('an encoding the service does not accept must be 415');
        else if (decode && !decoded && bytes.length > 0 && res.status !== 400) violations.push('a body that does not decode must be 400');
        if (res.status >= 500) violations.push('5xx answer');
        if (!op.responses[String(res.status)]) violations.push(`undocumented status ${res.status}`);
        if (violations.length) throw new Error(`${where}\n  - ${violations.join('\n  - ')}`);
      }),
      { numRuns: HOSTILE_RUNS * 2, seed: SEED, endOnFailure: true },
    );
  });
});

afterAll(() => {
  const unseen = [...stats.observed].map(([op, seen]) => `${op}: ${[...seen].sort().join(',')}`);
  console.log(
    `fuzz: ${stats.cases} requests (${JSON.stringify(stats.byService)}), ${RUNS} per operation\n` +
      `statuses seen per operation:\n  ${unseen.join('\n  ')}\n` +
      (stats.docGaps.length
        ? `valid-by-document requests refused with 400 (document narrower than the code? ${stats.docGaps.length}):\n  ${[...new Set(stats.docGaps)].slice(0, 20).join('\n  ')}`
        : ''),
  );
});
