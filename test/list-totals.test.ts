// Maintained totals (issue 23): GET /items with no filter and GET /items?inStock=true (sales' /goods pages through
// it) take their total from list_counts, kept by triggers on items in the writing transaction, and count nothing.
// The instance runs with COUNT_EXACT_LIMIT 2, so a total that was counted would be an estimate
// (totalIsEstimate: true) past two rows: every exact total below comes from the maintained count.
import { randomUUID } from 'node:crypto';
import { admin, api, newCustomer, newItem, serviceAuth, sql, startInstance, startIsolated, unique } from '@shop/testkit';
import { query } from './support/webhooks';
import { walkByCursor, walkByOffset, type ListPage } from './support/lists';

let inventory: string;
let databaseUrl: string;
let auth: Record<string, string>;

beforeAll(async () => {
  const isolated = await startIsolated('inventory', 1, { COUNT_EXACT_LIMIT: '2' });
  inventory = isolated.instances[0]!.url;
  databaseUrl = isolated.databaseUrl;
  auth = (await admin()).auth;
});

async function create(stockCount: number, name = `total ${randomUUID()}`): Promise<string> {
  const res = await api(inventory).post('/items').set(auth).send({ name, category: 'food', priceCents: 100, stockCount });
  expect(res.status).toBe(201);
  return (res.body as { id: string }).id;
}

/** `n` items that match no search of these tests, a day older than any made through the API. */
async function fillers(n: number) {
  await query(
    databaseUrl,
    `INSERT INTO items (id, name, category, price_cents, description, stock_count, created_at, updated_at)
     SELECT gen_random_uuid(), 'filler ' || i, 'clothes', 150, '', 1, now() - interval '1 day' + i * interval '1 ms', now() FROM generate_series(1, $1::int) i`,
    [n],
  );
}

/** The totals the API answers: all items, in stock, out of stock (each exact, not estimated). */
async function totals() {
  const read = async (query: Record<string, string>) => {
    const res = await api(inventory)
      .get('/items')
      .query({ limit: 1, ...query });
    expect(res.status).toBe(200);
    expect(res.body.totalIsEstimate).toBe(false);
    return res.body.total as number;
  };
  return { all: await read({}), inStock: await read({ inStock: 'true' }), outOfStock: await read({ inStock: 'false' }) };
}

/** What the table holds now. */
async function truth() {
  const [row] = await query<{ all: number; in_stock: number }>(
    databaseUrl,
    'SELECT count(*)::int AS all, (count(*) FILTER (WHERE stock_count > 0))::int AS in_stock FROM items WHERE deleted_at IS NULL',
  );
  return { all: row!.all, inStock: row!.in_stock, outOfStock: row!.all - row!.in_stock };
}

describe('maintained totals of GET /items and GET /items?inStock=', () => {
  it('stay exact across creates, soft deletes, and stock changes to and from zero', async () => {
    const a = await create(3);
    const b = await create(0);
    const c = await create(5);
    await create(1);
    await create(0);
    expect(await totals()).toEqual({ all: 5, inStock: 3, outOfStock: 2 });

    expect((await api(inventory).delete(`/items/${a}`).set(auth)).status).toBe(204);
    expect(await totals()).toEqual({ all: 4, inStock: 2, outOfStock: 2 });
    // Deleting again changes nothing.
    expect((await api(inventory).delete(`/items/${a}`).set(auth)).status).toBe(404);

    expect((await api(inventory).patch(`/items/${c}`).set(auth).send({ stockCount: 0 })).status).toBe(200);
    expect(await totals()).toEqual({ all: 4, inStock: 1, outOfStock: 3 });
    expect((await api(inventory).post(`/items/${b}/stock-adjustments`).set(auth).send({ delta: 2 })).status).toBe(200);
    expect(await totals()).toEqual({ all: 4, inStock: 2, outOfStock: 2 });
    // A change that keeps the item in stock, and one that changes no stock, move nothing.
    expect((await api(inventory).post(`/items/${b}/stock-adjustments`).set(auth).send({ delta: 1 })).status).toBe(200);
    expect((await api(inventory).patch(`/items/${b}`).set(auth).send({ description: 'renamed' })).status).toBe(200);
    expect(await totals()).toEqual({ all: 4, inStock: 2, outOfStock: 2 });

    // A reservation that takes the last stock, then its release.
    const reference = randomUUID();
    const reserved = await api(inventory)
      .post('/internal/stock/reservations')
      .set(serviceAuth('inventory'))
      .send({ reference, lines: [{ itemId: b, quantity: 3 }] });
    expect(reserved.status).toBe(201);
    expect(await totals()).toEqual({ all: 4, inStock: 1, outOfStock: 3 });
    expect((await api(inventory).post('/internal/stock/releases').set(serviceAuth('inventory')).send({ reference })).status).toBe(200);
    expect(await totals()).toEqual({ all: 4, inStock: 2, outOfStock: 2 });
    expect(await totals()).toEqual(await truth());
  });

  it('stays exact under concurrent creates, deletes, reservations and adjustments', async () => {
    const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => create(i % 3)));
    const writes = ids.flatMap((id, i) => {
      if (i % 4 === 0) return [api(inventory).delete(`/items/${id}`).set(auth)];
      if (i % 3 === 0) return [api(inventory).post(`/items/${id}/stock-adjustments`).set(auth).send({ delta: 4 })];
      if (i % 3 === 1)
        return [
          api(inventory)
            .post('/internal/stock/reservations')
            .set(serviceAuth('inventory'))
            .send({ reference: randomUUID(), lines: [{ itemId: id, quantity: 1 }] }),
        ];
      return [api(inventory).patch(`/items/${id}`).set(auth).send({ stockCount: 0 }), create(2)];
    });
    const answers = await Promise.all(writes);
    for (const answer of answers) if (typeof answer !== 'string') expect([200, 201, 204]).toContain(answer.status);
    expect(await totals()).toEqual(await truth());
  });
});

describe('maintained total of GET /customers', () => {
  it('counts registrations and deletions exactly, with no count (an instance that would estimate past 2 rows)', async () => {
    const low = await startInstance('customers', { COUNT_EXACT_LIMIT: '2' });
    const stored = async () => (await sql<{ n: number }>('customers', 'SELECT count(*)::int AS n FROM customers'))[0]!.n;
    const listed = async () => {
      const res = await fetch(`${low.url}/customers?limit=1`, { headers: auth });
      expect(res.status).toBe(200);
      return (await res.json()) as { total: number; totalIsEstimate: boolean };
    };
    // Other files may register customers meanwhile: the answer lies between two counts of the table around it.
    const within = async () => {
      const before = await stored();
      const page = await listed();
      const after = await stored();
      expect(page.totalIsEstimate).toBe(false);
      expect(page.total).toBeGreaterThanOrEqual(Math.min(before, after));
      expect(page.total).toBeLessThanOrEqual(Math.max(before, after));
    };
    await within();
    const made = [await newCustomer(), await newCustomer(), await newCustomer()];
    await within();
    for (const customer of made) expect((await api('customers').delete(`/customers/${customer.username}`).set(auth)).status).toBe(204);
    await within();
  });
});

// A page by offset on /items is a deferred join (the offset walks the sort's index alone, the page's rows are then
// read by id): the answers stay those of the cursor, for every sort and filter.
describe('GET /items by offset', () => {
  it('answers the same rows in the same order as by cursor, for every sort, unfiltered and filtered', async () => {
    for (let i = 0; i < 5; i++) await create(i % 2);
    for (const sort of ['createdAt', '-createdAt', 'priceCents', '-priceCents', 'name', '-name'])
      for (const filter of [{}, { inStock: 'true' }, { category: 'food', maxPriceCents: '1000' }]) {
        const read = async (position: { offset?: number; after?: string }) => {
          const res = await api(inventory)
            .get('/items')
            .query({ sort, limit: 3, ...filter, ...position });
          return { status: res.status, body: res.body as ListPage };
        };
        const byOffset = await walkByOffset(read, 3);
        expect(byOffset.map((row) => row.id)).toEqual((await walkByCursor(read)).map((row) => row.id));
        expect(byOffset.length).toBeGreaterThan(3);
      }
  });
});

// A text search is counted exactly up to SEARCH_PROBE_LIMIT matches (default 1000), through the trigram index. Only a
// common word is not counted: on /items, a word met more than SEARCH_COUNT_EXACT_LIMIT (default 20) times within a
// short walk of the sort's index has its page from that walk, and its total is estimated from the walk's density
// (packages/kit/src/search-page.ts).
describe('totals of a text search (q)', () => {
  it('by default, are exact past SEARCH_COUNT_EXACT_LIMIT when counted (a shop of at most SEARCH_PROBE_LIMIT items is probed)', async () => {
    const tag = unique('q20');
    const defaults = await startInstance('inventory', { DATABASE_URL: databaseUrl });
    const first = async (limit: number) => {
      const res = await fetch(`${defaults.url}/items?q=${tag}&limit=${limit}`);
      expect(res.status).toBe(200);
      return (await res.json()) as ListPage;
    };
    for (let i = 0; i < 20; i++) await create(1, `${tag} ${i}`);
    expect(await first(5)).toMatchObject({ total: 20, totalIsEstimate: false });
    expect(await first(1)).toMatchObject({ total: 20, totalIsEstimate: false });
    await create(1, `${tag} 20`);
    for (const limit of [1, 5, 20]) {
      const page = await first(limit);
      expect({ limit, total: page.total, totalIsEstimate: page.totalIsEstimate }).toEqual({ limit, total: 21, totalIsEstimate: false });
      expect(page.data.length).toBe(limit);
    }
    // A page that holds the whole search knows its total.
    expect(await first(30)).toMatchObject({ total: 21, totalIsEstimate: false, nextCursor: null });
  });

  it('are the count of a probed word, and an estimate for a page the walk met among many matches', async () => {
    // Older rows that do not match: a walk of the first page from the oldest meets no match in its first window, so
    // the word is probed through the trigram index, which counts all five.
    await fillers(600);
    const tag = unique('qprobe');
    for (let i = 0; i < 5; i++) await create(1, `${tag} ${i}`);
    // A table larger than SEARCH_PROBE_LIMIT, so that the page is walked first.
    const low = await startInstance('inventory', { DATABASE_URL: databaseUrl, SEARCH_COUNT_EXACT_LIMIT: '2', SEARCH_PROBE_LIMIT: '10' });
    const read = async (query: string) => (await (await fetch(`${low.url}/items?q=${tag}${query}`)).json()) as ListPage<{ name: string }>;
    const first = await read('&limit=1');
    expect(first).toMatchObject({ total: 5, totalIsEstimate: false, data: [{ name: `${tag} 0` }] });
    // After it, the four others lie together: the walk meets them at once, and estimates from that density.
    const next = await read(`&limit=1&after=${first.nextCursor}`);
    expect(next).toMatchObject({ totalIsEstimate: true, data: [{ name: `${tag} 1` }] });
    expect(next.total).toBeGreaterThanOrEqual(3);
    expect(await read('&limit=1&offset=3')).toMatchObject({ total: 5, totalIsEstimate: false, data: [{ name: `${tag} 3` }] });
    expect(await read('&limit=2&offset=4')).toMatchObject({ total: 5, totalIsEstimate: false, data: [{ name: `${tag} 4` }] });
  });

  it('are exact up to SEARCH_PROBE_LIMIT and an estimate above it, on items and customers', async () => {
    const tag = unique('qcap');
    for (let i = 0; i < 4; i++)
      await api(inventory)
        .post('/items')
        .set(auth)
        .send({ name: `${tag} ${i}`, category: 'food', priceCents: 100, stockCount: 1 });
    const low = await startInstance('inventory', {
      DATABASE_URL: databaseUrl,
      COUNT_EXACT_LIMIT: '100',
      SEARCH_COUNT_EXACT_LIMIT: '2',
      SEARCH_PROBE_LIMIT: '2',
    });
    const page = async (url: string, query: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${url}${query}`, { headers });
      expect(res.status).toBe(200);
      return (await res.json()) as { total: number; totalIsEstimate: boolean; nextCursor: string | null };
    };
    const first = await page(low.url, `/items?q=${tag}&limit=1`);
    expect(first).toMatchObject({ totalIsEstimate: true, nextCursor: expect.any(String) });
    expect(first.total).toBeGreaterThan(2);
    expect(await page(low.url, `/items?q=${tag}&limit=1&after=${first.nextCursor}`)).toMatchObject({ totalIsEstimate: true });
    // A page that holds the whole search knows its total; a list without q counts up to COUNT_EXACT_LIMIT.
    expect(await page(low.url, `/items?q=${tag}&limit=10`)).toMatchObject({ total: 4, totalIsEstimate: false, nextCursor: null });
    expect(await page(low.url, '/items?category=food&limit=1')).toMatchObject({ totalIsEstimate: false });

    const lastName = unique('qcapc');
    for (let i = 0; i < 3; i++) await newCustomer({ overrides: { lastName } });
    const customers = await startInstance('customers', { SEARCH_COUNT_EXACT_LIMIT: '1', SEARCH_PROBE_LIMIT: '1' });
    const found = await page(customers.url, `/customers?q=${lastName}&limit=1`, auth);
    expect(found.totalIsEstimate).toBe(true);
    expect(found.total).toBeGreaterThan(1);
    expect(await page(customers.url, `/customers?q=${lastName}&limit=5`, auth)).toMatchObject({ total: 3, totalIsEstimate: false });
  });
});

// A `q` page is read by walking the sort's index, or from a probe of at most SEARCH_PROBE_LIMIT + 1 matches through
// the trigram index, or both (packages/kit/src/search-page.ts). At test size the
// plans themselves are not observable (bench:scale EXPLAINs them at a million rows); what must hold is that both
// ways answer the same rows in the same order, by offset and by cursor, for every sort and with other filters.
describe('pages of a text search (q), by either plan', () => {
  it('are the same whether the matches are few (read by the probed ids) or many (the sort index walked)', async () => {
    const tag = unique('qplan');
    const specs = [
      { name: `b ${tag}`, priceCents: 300, category: 'food' },
      { name: `A ${tag}`, priceCents: 100, category: 'clothes' },
      { name: `c ${tag}`, priceCents: 300, category: 'food' },
      { name: 'no name match', description: `described as ${tag.toUpperCase()}`, priceCents: 200, category: 'food' },
      { name: `e ${tag}`, priceCents: 50, category: 'food' },
    ];
    for (const spec of specs)
      expect(
        (
          await api(inventory)
            .post('/items')
            .set(auth)
            .send({ description: 'd', stockCount: 1, ...spec })
        ).status,
      ).toBe(201);
    // Rows before the matches (by age, and by price for some sorts), so that a short walk may meet no match.
    await fillers(600);
    const few = await startInstance('inventory', { DATABASE_URL: databaseUrl, SEARCH_COUNT_EXACT_LIMIT: '100' });
    const many = await startInstance('inventory', { DATABASE_URL: databaseUrl, SEARCH_COUNT_EXACT_LIMIT: '1', SEARCH_PROBE_LIMIT: '3' });
    // Probed, more than its limit: the walk goes on from where its window stopped (or from the start, by offset).
    const thin = await startInstance('inventory', { DATABASE_URL: databaseUrl, SEARCH_COUNT_EXACT_LIMIT: '1', SEARCH_PROBE_LIMIT: '1' });
    const names = (rows: { name: string }[]) => rows.map((row) => row.name);
    for (const sort of ['createdAt', '-createdAt', 'name', '-name', 'priceCents', '-priceCents'])
      for (const filter of ['', '&category=food', '&minPriceCents=100']) {
        const walks: string[][] = [];
        for (const url of [few.url, many.url, thin.url]) {
          const read = async (position: { offset?: number; after?: string }) => {
            const params = new URLSearchParams({ q: tag, sort, limit: '2' });
            if (position.offset !== undefined) params.set('offset', String(position.offset));
            if (position.after !== undefined) params.set('after', position.after);
            const res = await fetch(`${url}/items?${params.toString()}${filter}`);
            return { status: res.status, body: (await res.json()) as ListPage<{ id: string; name: string }> };
          };
          walks.push(names(await walkByCursor(read)), names(await walkByOffset(read, 2)));
        }
        const expected = walks[0]!;
        expect(expected.length).toBe(filter ? 4 : 5);
        if (sort === 'createdAt' && !filter) expect(expected).toEqual(specs.map((spec) => spec.name));
        for (const walk of walks) expect({ sort, filter, walk }).toEqual({ sort, filter, walk: expected });
      }
    // The totals: exact from the probe when the matches are few, an estimate when they are more than it counts.
    const first = async (url: string) => (await (await fetch(`${url}/items?q=${tag}&limit=2`)).json()) as ListPage;
    expect(await first(few.url)).toMatchObject({ total: 5, totalIsEstimate: false });
    expect((await first(many.url)).totalIsEstimate).toBe(true);
    expect((await first(thin.url)).totalIsEstimate).toBe(true);
  });
});

// GET /sales?itemId= walks the item's sale lines by (item_id, sale_created_at, sale_id), a copy of the sale's time
// kept by a trigger: the answers are the item's completed sales, newest first, the same by offset and by cursor.
describe('GET /sales?itemId=', () => {
  it("answers the item's completed sales newest first, by offset and by cursor alike", async () => {
    const item = await newItem({ stockCount: 10, priceCents: 100 });
    const other = await newItem({ stockCount: 10, priceCents: 100 });
    const buyer = await newCustomer({ balanceCents: 100_000 });
    const bought: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await api('sales')
        .post('/sales')
        .set(buyer.auth)
        .send({ itemId: i % 2 ? other.id : item.id, quantity: 1 });
      expect(res.status).toBe(201);
      if (i % 2 === 0) bought.push((res.body as { id: string }).id);
    }
    const basket = await api('sales')
      .post('/sales')
      .set(buyer.auth)
      .send({
        lines: [
          { itemId: other.id, quantity: 1 },
          { itemId: item.id, quantity: 2 },
        ],
      });
    expect(basket.status).toBe(201);
    bought.push((basket.body as { id: string }).id);
    // Refused for stock: a failed sale, never listed.
    expect((await api('sales').post('/sales').set(buyer.auth).send({ itemId: item.id, quantity: 6 })).status).toBe(409);

    const read = async (position: { offset?: number; after?: string }) => {
      const res = await api('sales')
        .get('/sales')
        .set(auth)
        .query({ itemId: item.id, limit: 2, ...position });
      return { status: res.status, body: res.body as ListPage };
    };
    const byCursor = await walkByCursor(read);
    expect(byCursor.map((sale) => sale.id)).toEqual((await walkByOffset(read, 2)).map((sale) => sale.id));
    expect(byCursor.map((sale) => sale.id)).toEqual([...bought].reverse());
    expect((await read({})).body).toMatchObject({ total: 4, totalIsEstimate: false });
    // The copy of each sale's time is the sale's own.
    const copies = await sql(
      'sales',
      'SELECT l.sale_created_at = s.created_at AS same FROM sale_lines l JOIN sales s ON s.id = l.sale_id WHERE l.item_id = $1',
      [item.id],
    );
    expect(copies.length).toBeGreaterThanOrEqual(4);
    expect(copies.every((row) => row.same === true)).toBe(true);
  });
});
