// Input that once crashed a service or answered 5xx: deeply nested JSON (one 10 KB login body ran customers out
// of heap and `pnpm start` took the whole shop down with it), offsets past the database's integers, and bodies
// in encodings the service does not take or that do not decode. Each must be a 4xx problem, and the service
// must still answer afterwards.
import zlib from 'node:zlib';
import { admin, expectProblem, serviceAuth, system, url } from '@shop/testkit';
import { runningServices, type Service } from './support/contract';
import { fetchAllRoutes, operations, documentedAccess, type Operation } from './support/openapi';

const DEPTH = 5000;
/** The body from the security review: 5000 arrays inside `username`. */
const deepLogin = `{"username":${'['.repeat(DEPTH)}${']'.repeat(DEPTH)},"password":"x"}`;
const deepObject = `${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}`;
const deepUnclosed = '['.repeat(DEPTH);

async function send(service: Service, method: string, path: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`${url(service)}${path}`, { method: method.toUpperCase(), body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  return { status: res.status, headers: { 'content-type': res.headers.get('content-type') ?? undefined }, body: text ? JSON.parse(text) : undefined, text };
}

/** A concrete path for an operation: the admin's username, a random uuid for every other parameter. */
const concrete = (op: Operation, username: string) =>
  op.path.replace(/\{(\w+)\}/g, (_m, name: string) => (name === 'username' ? username : '00000000-0000-4000-8000-000000000000'));

const docs = new Map<Service, Operation[]>();
beforeAll(async () => {
  await Promise.all(runningServices().map(async (service) => docs.set(service, operations(await fetchAllRoutes(service)))));
});

describe.each(runningServices())('%s: input safety', (service) => {
  it('refuses JSON nested 5000 deep on every body route with 400, and still answers afterwards', async () => {
    const bodyOps = docs.get(service)!.filter((op) => op.body);
    expect(bodyOps.length).toBeGreaterThan(0);
    const { username } = system().admin;
    const wrong: string[] = [];
    for (const op of bodyOps) {
      for (const body of [deepLogin, deepObject, deepUnclosed]) {
        // No token: the body is refused before anything else looks at the request.
        const res = await send(service, op.method, concrete(op, username), body);
        if (res.status !== 400 || res.body?.code !== 'validation_failed') wrong.push(`${op.method} ${op.path}: ${res.status} ${res.text.slice(0, 120)}`);
      }
    }
    expect(wrong).toEqual([]);
    const health = await fetch(`${url(service)}/health`);
    expect(health.status).toBe(200);
    expect((await fetch(`${url(service)}/openapi.json`)).status).toBe(200);
  });

  it('answers every list with ?offset= above 1000000 with 400, naming query.offset', async () => {
    const lists = docs.get(service)!.filter((op) => op.parameters.some((p) => p.in === 'query' && p.name === 'offset'));
    expect(lists.length).toBeGreaterThan(0);
    const adm = await admin();
    const auth = (op: Operation) => (documentedAccess(op) === 'service' && service !== 'reviews' ? serviceAuth(service) : adm.auth);
    const wrong: string[] = [];
    for (const op of lists) {
      for (const offset of ['3000000000', '1000001', '9'.repeat(400)]) {
        const res = await fetch(`${url(service)}${concrete(op, system().admin.username)}?offset=${offset}`, { headers: auth(op) });
        const body = (await res.json()) as { code?: string; errors?: Array<{ path: string }> };
        if (res.status !== 400 || body.code !== 'validation_failed' || !body.errors?.some((e) => e.path === 'query.offset')) {
          wrong.push(`GET ${op.path}?offset=${offset.slice(0, 12)}: ${res.status} ${JSON.stringify(body).slice(0, 160)}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('nesting limit', () => {
  const nested = (depth: number) => `{"username":"someone","password":"right-length-password","x":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;

  it('takes 32 levels to the schema (which refuses the unknown field) and refuses 33 for their depth', async () => {
    const at32 = await send('customers', 'post', '/auth/login', nested(32));
    expectProblem(at32 as never, 400, 'validation_failed');
    expect(at32.body.errors).toEqual([expect.objectContaining({ path: 'body' })]);
    expect(at32.body.errors[0].message).not.toMatch(/deeper/);
    const at33 = await send('customers', 'post', '/auth/login', nested(33));
    expectProblem(at33 as never, 400, 'validation_failed');
    expect(at33.body.errors[0].message).toMatch(/deeper than 32/);
  });

  it('does not count brackets inside strings', async () => {
    const res = await send('customers', 'post', '/auth/login', JSON.stringify({ username: `${'['.repeat(40)}\\"{{{`, password: 'x'.repeat(10) }));
    // A username of brackets is not a valid one: the schema answers, not the depth check.
    expectProblem(res as never, 400, 'validation_failed');
    expect(JSON.stringify(res.body.errors)).not.toMatch(/deeper/);
  });
});

describe('offsets', () => {
  it('GET /items?offset=3000000000 is 400 (was a 500 from PostgreSQL), and 1000000 is still a page', async () => {
    const huge = await fetch(`${url('inventory')}/items?offset=3000000000`);
    expect(huge.status).toBe(400);
    expect(((await huge.json()) as { code: string }).code).toBe('validation_failed');
    const last = await fetch(`${url('inventory')}/items?offset=1000000`);
    expect(last.status).toBe(200);
    expect(await last.json()).toMatchObject({ data: [], offset: 1000000 });
  });

  it('GET /goods?offset=3000000000 is 400 (was a 503 after three retries to inventory)', async () => {
    const res = await fetch(`${url('sales')}/goods?offset=3000000000`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('validation_failed');
  });
});

describe('accepted encodings', () => {
  it('reads gzip, deflate and br bodies', async () => {
    const login = JSON.stringify({ username: 'nobody-here', password: 'wrong-password' });
    for (const [encoding, compress] of [
      ['gzip', zlib.gzipSync],
      ['deflate', zlib.deflateSync],
      ['br', zlib.brotliCompressSync],
    ] as const) {
      const res = await send('customers', 'post', '/auth/login', compress(login), { 'content-encoding': encoding });
      // Decoded and checked: the credentials are wrong, nothing about the body is.
      expectProblem(res as never, 401, 'invalid_credentials');
    }
  });
});

describe.each(runningServices())('%s: body encodings', (service) => {
  // A body route every caller reaches before authentication decides anything: its answer shows how the body was read.
  const target = { customers: '/auth/login', inventory: '/items', sales: '/sales', reviews: '/reviews' }[service];
  const login = JSON.stringify({ username: 'nobody-here', password: 'wrong-password' });

  it('answers 415 to a Content-Encoding it does not accept', async () => {
    for (const encoding of ['compress', 'zstd', 'gzip, br', 'x-unknown']) {
      const res = await send(service, 'post', target, Buffer.from('{}'), { 'content-encoding': encoding });
      expectProblem(res as never, 415, 'unsupported_media_type');
    }
  });

  it('answers 400 to a body that does not decode (was a 500), and 413 to one that decodes past the limit', async () => {
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const res = await send(service, 'post', target, Buffer.from('this is not compressed at all'), { 'content-encoding': encoding });
      expectProblem(res as never, 400, 'validation_failed');
    }
    const truncated = zlib.gzipSync(login).subarray(0, 12);
    expectProblem((await send(service, 'post', target, truncated, { 'content-encoding': 'gzip' })) as never, 400, 'validation_failed');
    // 10 MB of spaces is 10 KB gzipped: reading stops at the 64 KB limit.
    const bomb = zlib.gzipSync(Buffer.alloc(10 * 1024 * 1024, ' '));
    expectProblem((await send(service, 'post', target, bomb, { 'content-encoding': 'gzip' })) as never, 413, 'payload_too_large');
    expect((await fetch(`${url(service)}/health`)).status).toBe(200);
  });

  it('answers 415 to JSON in another charset than UTF-8', async () => {
    const res = await send(service, 'post', target, Buffer.from(login, 'utf16le'), { 'content-type': 'application/json; charset=utf-16le' });
    expectProblem(res as never, 415, 'unsupported_media_type');
  });
});

// A string that is not well-formed UTF-16 (a lone surrogate: JSON carries one as "\ud800") once reached a rate
// limiter's insert and answered 500 (POST /auth/login, issue 22 item 8). Every service refuses it in every part of
// the request before anything else looks at it. Only bodies can carry one over HTTP: the other parts are in the
// kit's unit test (packages/kit/test/unit/strings.test.ts); here their encodings are shown to arrive harmless.
describe.each(runningServices())('%s: strings that are not well-formed UTF-16', (service) => {
  it('refuses a lone surrogate anywhere in the body of every body route with 400 naming it, before authentication', async () => {
    const bodyOps = docs.get(service)!.filter((op) => op.body);
    const { username } = system().admin;
    const wrong: string[] = [];
    // Raw JSON text: JSON.stringify would escape the surrogate the same way, but this shows what goes over the wire.
    const cases: Array<[string, string]> = [
      ['{"username":"a\\ud800b","password":"long-enough-password"}', 'body.username'],
      ['{"lines":[{"itemId":"x"},{"itemId":"\\udfff"}]}', 'body.lines.1.itemId'],
      ['{"note\\udbff":1}', 'body.note\udbff'],
    ];
    for (const op of bodyOps) {
      for (const [body, path] of cases) {
        const res = await send(service, op.method, concrete(op, username), body);
        const named = res.body?.errors?.some((e: { path: string; message: string }) => e.path === path && /well-formed UTF-16/.test(e.message));
        if (res.status !== 400 || res.body?.code !== 'validation_failed' || !named)
          wrong.push(`${op.method} ${op.path} ${body}: ${res.status} ${res.text.slice(0, 160)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('refuses a path parameter whose percent-encoded bytes are not UTF-8 (a lone surrogate, %ED%A0%80) with 400 (was 500)', async () => {
    const withParams = docs.get(service)!.filter((op) => op.parameters.some((p) => p.in === 'path'));
    expect(withParams.length).toBeGreaterThan(0);
    const adm = await admin();
    const wrong: string[] = [];
    for (const op of withParams) {
      const path = op.path.replace(/\{(\w+)\}/g, 'a%ED%A0%80b');
      const res = await fetch(`${url(service)}${path}`, { method: op.method.toUpperCase(), headers: adm.auth });
      const body = (await res.json()) as { code?: string; errors?: Array<{ path: string }> };
      if (res.status !== 400 || body.code !== 'validation_failed' || !body.errors?.some((e) => e.path === 'params')) {
        wrong.push(`${op.method} ${path}: ${res.status} ${JSON.stringify(body).slice(0, 160)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("reads a lone surrogate's bytes in a query (as U+FFFD) or a header (as Latin-1) as well-formed text: the route's own answer", async () => {
    const adm = await admin();
    // GET /webhooks is on every service: its offset's schema answers (not a number), not the UTF-16 check.
    const res = await fetch(`${url(service)}/webhooks?offset=%ED%A0%80`, { headers: { ...adm.auth, 'x-note': '\u00ed\u00a0\u0080' } });
    const body = (await res.json()) as { code?: string; errors?: Array<{ path: string; message: string }> };
    expect({ status: res.status, code: body.code }).toEqual({ status: 400, code: 'validation_failed' });
    expect(body.errors).toEqual([{ path: 'query.offset', message: expect.not.stringMatching(/well-formed/) }]);
    // The same header on a valid request: the answer is the route's own.
    expect((await fetch(`${url(service)}/webhooks`, { headers: { ...adm.auth, 'x-note': '\u00ed\u00a0\u0080' } })).status).toBe(200);
  });
});

describe('POST /auth/login with a username holding a lone surrogate', () => {
  it('is 400 naming body.username (was a 500 from the login rate limiter)', async () => {
    const res = await send('customers', 'post', '/auth/login', '{"username":"a\\ud800b","password":"long-enough-password"}');
    expectProblem(res as never, 400, 'validation_failed');
    expect(res.body.errors).toEqual([{ path: 'body.username', message: expect.stringMatching(/well-formed UTF-16/) }]);
  });
});
