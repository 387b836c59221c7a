// Contract fuzzing: every operation each running service documents in its /openapi.json gets requests
// generated from its own schemas — valid ones and deliberately broken ones — sent with real tokens. Whatever
// comes back must keep the contract: no 5xx, errors are problem+json with a contract code, 2xx bodies match
// the documented schema, every status is a documented one, and what the document calls invalid is refused.
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { admin, api, serviceAuth, system } from '@shop/testkit';
import { problemViolations, runningServices, type Service } from './support/contract';
import { World, fundAdmin } from './support/fixtures';
import { documentedAccess, invalid, operations, schemaErrors, toJsonSchema, valid, type OpenApiDoc, type Operation, type Parameter, type Schema } from './support/openapi';

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

// Jest needs the test names before any test runs: read the documents synchronously, from the running system.
const docs = Object.fromEntries(
  runningServices().map((service) => {
    const script = `fetch(process.argv[1] + '/openapi.json').then((r) => r.text()).then((t) => process.stdout.write(t))`;
    return [service, JSON.parse(execFileSync(process.execPath, ['-e', script, system().urls[service]], { encoding: 'utf8' })) as OpenApiDoc];
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
async function knownValues(op: Operation, world: World): Promise<Known> {
  const owner = await world.owner();
  const item = await world.item();
  const known: Known = { username: [owner.username], itemId: [item.id], customerId: [owner.id] };
  if (/^\/(items|goods)\/\{id\}/.test(op.path)) known.id = [item.id];
  if (op.path.startsWith('/sales/')) known.id = [(await world.sale()).id];
  if (op.path.startsWith('/reviews/')) known.id = [(await world.approvedReview()).id, (await world.pendingReview()).id];
  if (op.path.includes('/transactions/')) known.id = [(await world.transaction()).id];
  if (op.path === '/internal/wallet/refunds') known.reference = [(await world.debit()).reference];
  if (op.path === '/internal/stock/releases') known.reference = [(await world.reservation()).reference];
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
  const queryArb = fc.record(Object.fromEntries(params('query').map((p) => [p.name, valueOf(p).map(asQuery)])), { requiredKeys: params('query').filter((p) => p.required).map((p) => p.name) });
  // Header values: visible ASCII only (what HTTP can carry), within the documented lengths.
  const headerValue = (p: Parameter) =>
    fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: p.schema.minLength ?? 0, maxLength: Math.min(p.schema.maxLength ?? 64, 64) });
  const headerArb = fc.record(Object.fromEntries(params('header').map((p) => [p.name, headerValue(p)])), { requiredKeys: params('header').filter((p) => p.required).map((p) => p.name) });
  const bodyArb = op.body
    ? fc.tuple(valid(op.body), fc.boolean()).map(([body, seeded]) => {
        if (!seeded || !body || typeof body !== 'object') return body;
        const copy = { ...(body as Record<string, unknown>) };
        for (const key of Object.keys(copy)) if (known[key]) copy[key] = known[key]![0];
        return copy;
      })
    : fc.constant(undefined);

  const validArb = fc.record({ caller: fc.constantFrom(...callers), path: pathArb, query: queryArb, headers: headerArb, body: bodyArb });

  // One thing broken at a time, everything else valid.
  const targets: fc.Arbitrary<{ what: string; apply: (r: { path: any; query: any; headers: any; body: any }) => void }>[] = [];
  if (op.body) {
    targets.push(invalid(op.body).filter((m) => schemaErrors(op.body!, m.value).length > 0).map((m) => ({ what: `body ${m.kind}`, apply: (r) => (r.body = m.value) })));
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

  const toRequest = (r: { caller: Caller; path: Record<string, string>; query: any; headers: any; body: unknown; mode: 'valid' | 'invalid'; what: string }): Generated => ({
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
    const known = await knownValues(op, world);
    const tokens: Record<Caller, Record<string, string>> = {
      none: {},
      owner: (await world.owner()).auth,
      other: (await world.other()).auth,
      admin: (await admin()).auth,
      service: serviceAuth(),
    };
    const seen = stats.observed.get(`${service} ${op.method} ${op.path}`) ?? new Set<string>();
    stats.observed.set(`${service} ${op.method} ${op.path}`, seen);

    await fc.assert(
      fc.asyncProperty(requestArb(op, known), async (req) => {
        stats.cases++;
        stats.byService[service] = (stats.byService[service] ?? 0) + 1;
        let call = (api(service) as any)[op.method](req.path).query(req.query).set(tokens[req.caller]).set(req.headers);
        // supertest serialises objects and arrays itself; other JSON values (a bare number, true, null) by hand.
        if (req.body !== undefined) call = typeof req.body === 'object' && req.body !== null ? call.send(req.body) : call.set('Content-Type', 'application/json').send(JSON.stringify(req.body));
        const res = await call;
        seen.add(String(res.status));
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

afterAll(() => {
  const unseen = [...stats.observed].map(([op, seen]) => `${op}: ${[...seen].sort().join(',')}`);
  console.log(
    `fuzz: ${stats.cases} requests (${JSON.stringify(stats.byService)}), ${RUNS} per operation\n` +
      `statuses seen per operation:\n  ${unseen.join('\n  ')}\n` +
      (stats.docGaps.length ? `valid-by-document requests refused with 400 (document narrower than the code? ${stats.docGaps.length}):\n  ${[...new Set(stats.docGaps)].slice(0, 20).join('\n  ')}` : ''),
  );
});
