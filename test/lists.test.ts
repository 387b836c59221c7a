// Lists (contract v4, Conventions: Lists, Cursors; issue 23 item 1) and strict query strings (issue 26): every list
// pages by offset and by cursor alike, a cursor holds only for its own list, filters and sort, the total says when it
// is an estimate, and a query parameter a route does not take is a 400 that names it.
import { admin, api, newCustomer, newItem, serviceAuth, sql, startInstance, startIsolated, system, unique, url, type TestItem } from '@shop/testkit';
import { query } from './support/webhooks';
import { runningServices, type Service } from './support/contract';
import { duplicates, tampered, walkByCursor, walkByOffset, type ListPage, type PageReader } from './support/lists';
import { documentedAccess, fetchAllRoutes, operations, type Operation } from './support/openapi';

const ids = (rows: Array<{ id: string }>) => rows.map((row) => row.id);
/** A reader of GET `path` with `query`, as `auth`, at a position (offset or after). */
const reader =
  <T = { id: string }>(service: Service, path: string, query: Record<string, string | number> = {}, auth: Record<string, string> = {}): PageReader<T> =>
  async (position) => {
    const res = await api(service)
      .get(path)
      .set(auth)
      .query({ ...query, ...position });
    return { status: res.status, body: res.body as ListPage<T> };
  };

async function tagged(
  tag: string,
  n: number,
  spec: (i: number) => Partial<{ priceCents: number; category: 'food' | 'clothes' }> = () => ({}),
): Promise<TestItem[]> {
  const made: TestItem[] = [];
  for (let i = 0; i < n; i++) made.push(await newItem({ name: `${tag} ${unique('n')}`, ...spec(i) }));
  return made;
}

function expectRefusedCursor(res: { status: number; body: { code?: string; errors?: Array<{ path: string }> } }) {
  expect(res.status).toBe(400);
  expect(res.body.code).toBe('validation_failed');
  expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'query.after' })]));
}

beforeAll(() => admin());

describe('GET /items by cursor', () => {
  it('walks the whole list page by page, the same rows as by offset, and nextCursor is null on the last page', async () => {
    const tag = unique('walk');
    const made = await tagged(tag, 7, (i) => ({ priceCents: 100 + (i % 3) }));
    for (const sort of ['createdAt', '-createdAt', 'priceCents', '-priceCents', 'name', '-name']) {
      const read = reader('inventory', '/items', { q: tag, sort, limit: 2 });
      const byCursor = await walkByCursor(read);
      const byOffset = await walkByOffset(read, 2);
      expect(ids(byCursor)).toEqual(ids(byOffset));
      expect(ids(byCursor).sort()).toEqual(ids(made).sort());
    }
  });

  it('sees every row once, with no duplicate and no gap, while rows are inserted mid-walk', async () => {
    const tag = unique('ins');
    const before = await tagged(tag, 5, (i) => ({ priceCents: 500 + i * 10 }));
    const added: TestItem[] = [];
    const byCreated = await walkByCursor(reader('inventory', '/items', { q: tag, limit: 2 }), {
      // Newer rows land after the ones already read (oldest first): the walk must reach them, once each.
      between: async (page) => void (page < 2 && added.push(...(await tagged(tag, 1)))),
    });
    expect(duplicates(ids(byCreated))).toEqual([]);
    expect(ids(byCreated)).toEqual(ids([...before, ...added]));

    // By descending price, rows inserted before the cursor's position are not seen, and nothing repeats.
    const cheap: TestItem[] = [];
    const byPrice = await walkByCursor(reader('inventory', '/items', { q: tag, sort: '-priceCents', limit: 2 }), {
      between: async (page) => void (page < 2 && cheap.push(...(await tagged(tag, 1, () => ({ priceCents: 1 }))))),
    });
    expect(duplicates(ids(byPrice))).toEqual([]);
    const everything = await walkByOffset(reader('inventory', '/items', { q: tag, sort: '-priceCents', limit: 100 }), 100);
    // The walk saw every row that existed at its start, in the list's order.
    const start = ids([...before, ...added]);
    expect(ids(byPrice).filter((id) => start.includes(id))).toEqual(ids(everything).filter((id) => start.includes(id)));
  });

  it('refuses after with offset, a cursor of other filters or sort, a changed cursor and garbage (400, naming query.after)', async () => {
    const tag = unique('bind');
    await tagged(tag, 3);
    const first = await api('inventory').get('/items').query({ q: tag, sort: 'priceCents', limit: 1 });
    const cursor = first.body.nextCursor as string;
    expect(cursor).toEqual(expect.any(String));
    expect((await api('inventory').get('/items').query({ q: tag, sort: 'priceCents', limit: 1, after: cursor })).status).toBe(200);
    // A different limit is the same list.
    expect((await api('inventory').get('/items').query({ q: tag, sort: 'priceCents', limit: 5, after: cursor })).status).toBe(200);
    for (const query of [
      { q: tag, sort: 'priceCents', after: cursor, offset: 0 },
      { q: tag, sort: 'name', after: cursor },
      { q: tag, sort: '-priceCents', after: cursor },
      { q: tag, sort: 'priceCents', category: 'food', after: cursor },
      { q: `${tag}x`, sort: 'priceCents', after: cursor },
      { q: tag, sort: 'priceCents', after: tampered(cursor) },
      { q: tag, sort: 'priceCents', after: 'not-a-cursor' },
      { q: tag, sort: 'priceCents', after: Buffer.from('{"k":["x","y"],"h":"z"}').toString('base64url') },
    ]) {
      expectRefusedCursor(await api('inventory').get('/items').query(query));
    }
  });

  it('marks the total as an estimate above COUNT_EXACT_LIMIT, and counts exactly under it', async () => {
    const tag = unique('est');
    await tagged(tag, 5);
    const low = await startInstance('inventory', { COUNT_EXACT_LIMIT: '3' });
    const page1 = (await fetch(`${low.url}/items?q=${tag}&limit=2`).then((res) => res.json())) as ListPage;
    expect(page1).toMatchObject({ totalIsEstimate: true, nextCursor: expect.any(String) });
    expect(page1.total).toBeGreaterThan(3);
    const page2 = await fetch(`${low.url}/items?q=${tag}&limit=2&after=${page1.nextCursor}`).then((res) => res.json());
    expect(page2).toMatchObject({ totalIsEstimate: true });
    // A page that holds the whole list knows its total.
    expect(await fetch(`${low.url}/items?q=${tag}&limit=10`).then((res) => res.json())).toMatchObject({ total: 5, totalIsEstimate: false, nextCursor: null });
    // The default limit counts exactly.
    expect(
      await api('inventory')
        .get('/items')
        .query({ q: tag, limit: 2 })
        .then((res) => res.body),
    ).toMatchObject({ total: 5, totalIsEstimate: false });
  });

  it('keeps working by offset up to its limit: a deep offset answers an empty page with the total', async () => {
    const tag = unique('deep');
    await tagged(tag, 2);
    const res = await api('inventory').get('/items').query({ q: tag, offset: 1_000_000 });
    expect(res.body).toMatchObject({ data: [], total: 2, totalIsEstimate: false, offset: 1_000_000, nextCursor: null });
  });
});

describe('list ETags from versions maintained on write', () => {
  it("changes the items list's tag on a write (a row not on the page too) and on nothing else", async () => {
    // An inventory on a database of its own: in the shared one other files write items between any two reads, and
    // every write to items moves the list's version (it is the whole list's, whatever the filter).
    const { instances, databaseUrl } = await startIsolated('inventory', 1);
    const inventory = instances[0]!.url;
    const auth = (await admin()).auth;
    const create = async (name: string) => {
      const res = await api(inventory).post('/items').set(auth).send({ name, category: 'food', priceCents: 100, stockCount: 1 });
      expect(res.status).toBe(201);
      return res.body as { id: string };
    };
    const items = [await create('etag first'), await create('etag second')];
    const path = '/items?limit=1';
    const first = await api(inventory).get(path);
    expect((await api(inventory).get(`/items/${items[0]!.id}`)).status).toBe(200);
    expect((await api(inventory).get(path)).headers.etag).toBe(first.headers.etag);
    const versionOf = async () => (await query(databaseUrl, "SELECT sum(version)::text AS v FROM list_versions WHERE name = 'items'"))[0]!.v as string;
    const version = await versionOf();
    const offPage = items.find((item) => item.id !== (first.body as { data: { id: string }[] }).data[0]!.id)!;
    expect((await api(inventory).patch(`/items/${offPage.id}`).set(auth).send({ description: 'changed' })).status).toBe(200);
    expect(BigInt(await versionOf())).toBeGreaterThan(BigInt(version));
    expect((await api(inventory).get(path)).headers.etag).not.toBe(first.headers.etag);
  });

  it("derives an item's review page's tag from its maintained version, not from its reviews", async () => {
    const [item] = await tagged(unique('rv'), 1);
    const path = `/items/${item!.id}/reviews`;
    const first = await api('reviews').get(path);
    expect((await api('reviews').get(path)).headers.etag).toBe(first.headers.etag);
    await sql('reviews', 'INSERT INTO item_review_versions (item_id, version) VALUES ($1, 7) ON CONFLICT (item_id) DO UPDATE SET version = 7', [item!.id]);
    expect((await api('reviews').get(path)).headers.etag).not.toBe(first.headers.etag);
  });
});

describe('every other list by cursor', () => {
  it('GET /customers?q=: both forms, no duplicates', async () => {
    const tag = unique('cq');
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await newCustomer({ overrides: { lastName: tag } }));
    const read = reader('customers', '/customers', { q: tag, limit: 2 }, (await admin()).auth);
    const byCursor = await walkByCursor(read);
    expect(ids(byCursor)).toEqual(ids(await walkByOffset(read, 2)));
    expect(ids(byCursor).sort()).toEqual(made.map((c) => c.id).sort());
  });

  it('wallet transactions and sessions: both forms, across a deposit mid-walk', async () => {
    const customer = await newCustomer();
    for (let i = 0; i < 4; i++)
      await api('customers')
        .post(`/customers/${customer.username}/wallet/deposits`)
        .set(customer.auth)
        .send({ amountCents: 100 + i });
    const tx = reader('customers', `/customers/${customer.username}/wallet/transactions`, { limit: 2 }, customer.auth);
    const byOffset = await walkByOffset(tx, 2);
    // Newest first: a deposit during the walk is newer than the cursor, so it is not in this walk.
    const byCursor = await walkByCursor(tx, {
      between: async () => void (await api('customers').post(`/customers/${customer.username}/wallet/deposits`).set(customer.auth).send({ amountCents: 1 })),
    });
    expect(ids(byCursor)).toEqual(ids(byOffset));
    const sessions = reader('customers', `/customers/${customer.username}/sessions`, { limit: 1 }, customer.auth);
    expect(ids(await walkByCursor(sessions))).toEqual(ids(await walkByOffset(sessions, 1)));
  });

  it('webhook subscriptions on every service: a cursor walk sees each once', async () => {
    const { auth } = await admin();
    for (const service of runningServices()) {
      const rows = await walkByCursor(reader(service, '/webhooks', { limit: 3 }, auth));
      expect(duplicates(ids(rows))).toEqual([]);
    }
  });

  it('GET /goods pages by inventory’s cursor, refuses another list’s cursor and after with offset', async () => {
    const page1 = await api('sales').get('/goods').query({ limit: 2 });
    expect(page1.status).toBe(200);
    expect(page1.body).toMatchObject({ totalIsEstimate: expect.any(Boolean), offset: 0 });
    if (page1.body.nextCursor) {
      const page2 = await api('sales').get('/goods').query({ limit: 2, after: page1.body.nextCursor });
      expect(page2.status).toBe(200);
      expect(page2.body.offset).toBeUndefined();
      expect(duplicates([...ids(page1.body.data), ...ids(page2.body.data)])).toEqual([]);
      expectRefusedCursor(
        await api('sales')
          .get('/goods')
          .query({ after: tampered(page1.body.nextCursor) }),
      );
    }
    const tag = unique('gd');
    await tagged(tag, 2);
    const other = await api('inventory').get('/items').query({ q: tag, limit: 1 });
    expectRefusedCursor(await api('sales').get('/goods').query({ after: other.body.nextCursor }));
    expectRefusedCursor(await api('sales').get('/goods').query({ after: other.body.nextCursor, offset: 1 }));
  });
});

/** A concrete path for an operation: the admin's username, a random uuid for every other parameter. */
const concrete = (op: Operation) =>
  op.path.replace(/\{(\w+)\}/g, (_m, name: string) => (name === 'username' ? system().admin.username : '00000000-0000-4000-8000-000000000000'));

describe.each(runningServices())('%s: query strings', (service) => {
  let ops: Operation[] = [];
  beforeAll(async () => void (ops = operations(await fetchAllRoutes(service))));

  it('refuses a parameter no route declares on every route (400 validation_failed, naming it)', async () => {
    const adm = await admin();
    const auth = (op: Operation) => (documentedAccess(op) === 'service' && service !== 'reviews' ? serviceAuth(service) : adm.auth);
    const wrong: string[] = [];
    for (const op of ops) {
      const res = await fetch(`${url(service)}${concrete(op)}?limit=1&colour=blue`, {
        method: op.method.toUpperCase(),
        headers: { ...auth(op), 'content-type': 'application/json' },
        body: op.method === 'get' || op.method === 'delete' ? undefined : '{}',
      });
      const body = (await res.json().catch(() => ({}))) as { code?: string; errors?: Array<{ path: string; message: string }> };
      // reviews' internal routes take no service credential of ours: they answer 401/403 first, as they should.
      if (res.status === 401 || res.status === 403) continue;
      if (res.status !== 400 || body.code !== 'validation_failed' || !body.errors?.some((e) => e.path === 'query.colour')) {
        wrong.push(`${op.method} ${op.path}: ${res.status} ${JSON.stringify(body).slice(0, 160)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('offers after, and answers nextCursor and totalIsEstimate, on every list it documents', () => {
    const lists = ops.filter((op) => op.parameters.some((p) => p.in === 'query' && p.name === 'offset'));
    expect(lists.length).toBeGreaterThan(0);
    for (const op of lists) {
      expect([op.path, op.parameters.some((p) => p.in === 'query' && p.name === 'after')]).toEqual([op.path, true]);
      const props = (op.responses['200']?.schema as { properties?: Record<string, unknown> })?.properties ?? {};
      expect([op.path, 'nextCursor' in props, 'totalIsEstimate' in props]).toEqual([op.path, true, true]);
    }
  });
});

describe('unknown query parameters (issue 26)', () => {
  it('names the parameter in the examples from the issue', async () => {
    const customer = await newCustomer();
    const cases: Array<[Service, string, string, Record<string, string>]> = [
      ['inventory', '/items?page=2', 'query.page', {}],
      ['inventory', '/items?sort=name&order=desc', 'query.order', {}],
      ['sales', '/goods?sort=-priceCents', 'query.sort', {}],
      ['sales', '/goods?category=food', 'query.category', {}],
      ['customers', `/customers/${customer.username}/wallet/transactions?type=refund`, 'query.type', customer.auth],
    ];
    for (const [service, path, named, auth] of cases) {
      const res = await api(service).get(path).set(auth);
      expect([path, res.status, res.body.code]).toEqual([path, 400, 'validation_failed']);
      expect(res.body.errors).toEqual([{ path: named, message: expect.stringMatching(/not a parameter/) }]);
    }
  });
});
