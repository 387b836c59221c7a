import { admin, api, expectProblem, forgedTokens, itemBody, newCustomer, newItem, sql, stockOf, type TestCustomer, unique } from '@shop/testkit';
import { movementsSum } from './helpers';

let adminAuth: { Authorization: string };
let customer: TestCustomer;
beforeAll(async () => {
  adminAuth = (await admin()).auth;
  customer = await newCustomer();
});
const missingId = '00000000-0000-4000-8000-000000000000';

describe('POST /items', () => {
  it('creates an item, answers 201 with Location, and stores it with its initial stock in the history', async () => {
    const body = itemBody({ name: unique('Beans '), priceCents: 1234, stockCount: 7 });
    const res = await api('inventory').post('/items').set(adminAuth).send(body);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      name: body.name,
      category: 'food',
      priceCents: 1234,
      description: body.description,
      stockCount: 7,
      lowStockThreshold: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(res.headers.location).toBe(`/items/${res.body.id}`);
    const [row] = await sql('inventory', 'SELECT name, category::text, price_cents, stock_count, deleted_at FROM items WHERE id = $1', [res.body.id]);
    expect(row).toEqual({ name: body.name, category: 'food', price_cents: '1234', stock_count: 7, deleted_at: null });
    const movements = await sql('inventory', 'SELECT kind::text, delta, stock_after, actor_id FROM stock_movements WHERE item_id = $1', [res.body.id]);
    expect(movements).toEqual([{ kind: 'initial', delta: 7, stock_after: 7, actor_id: expect.any(String) }]);
  });

  it('defaults the description to an empty string', async () => {
    const { description: _omitted, ...body } = itemBody();
    const res = await api('inventory').post('/items').set(adminAuth).send(body);
    expect(res.status).toBe(201);
    expect(res.body.description).toBe('');
  });

  it.each([
    ['an unknown field', { id: '6f1b2a3c-0000-4000-8000-000000000000' }],
    ['a zero price', { priceCents: 0 }],
    ['a fractional price', { priceCents: 19.99 }],
    ['a price as a string', { priceCents: '1999' }],
    ['a negative stock', { stockCount: -1 }],
    ['an unknown category', { category: 'toys' }],
    ['an empty name', { name: '' }],
    ['a name over 100 characters', { name: 'x'.repeat(101) }],
    ['a description over 1000 characters', { description: 'x'.repeat(1001) }],
  ])('refuses %s with 400 and stores nothing', async (_case, overrides) => {
    const body = { ...itemBody(), ...overrides };
    const res = await api('inventory').post('/items').set(adminAuth).send(body);
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors.length).toBeGreaterThan(0);
    if (typeof body.name === 'string' && body.name) expect(await sql('inventory', 'SELECT 1 FROM items WHERE name = $1', [body.name])).toEqual([]);
  });

  it('refuses a missing required field with 400', async () => {
    const { stockCount: _omitted, ...body } = itemBody();
    expectProblem(await api('inventory').post('/items').set(adminAuth).send(body), 400, 'validation_failed');
  });

  it('refuses anonymous and forged tokens with 401 and customers with 403', async () => {
    const body = itemBody();
    expectProblem(await api('inventory').post('/items').send(body), 401, 'unauthorized');
    const forged = forgedTokens({ sub: customer.id, username: 'admin', role: 'admin' });
    for (const token of Object.values(forged)) {
      expectProblem(await api('inventory').post('/items').set('Authorization', `Bearer ${token}`).send(body), 401, 'unauthorized');
    }
    expectProblem(await api('inventory').post('/items').set(customer.auth).send(body), 403, 'forbidden');
    expect(await sql('inventory', 'SELECT 1 FROM items WHERE name = $1', [body.name])).toEqual([]);
  });
});

describe('GET /items/:id', () => {
  it('answers the item to anyone', async () => {
    const item = await newItem();
    const res = await api('inventory').get(`/items/${item.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(item);
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    expectProblem(await api('inventory').get(`/items/${missingId}`), 404, 'not_found');
    expectProblem(await api('inventory').get('/items/not-a-uuid'), 400, 'validation_failed');
  });
});

describe('PATCH /items/:id', () => {
  it('changes the given fields, keeps the others, and stores them', async () => {
    const item = await newItem({ category: 'food', priceCents: 500 });
    const res = await api('inventory')
      .patch(`/items/${item.id}`)
      .set(adminAuth)
      .send({ name: 'Renamed', category: 'clothes', priceCents: 650, description: 'new' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...item, name: 'Renamed', category: 'clothes', priceCents: 650, description: 'new', updatedAt: expect.any(String) });
    expect(Date.parse(res.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(item.updatedAt as string));
    const [row] = await sql('inventory', 'SELECT name, category::text, price_cents, description FROM items WHERE id = $1', [item.id]);
    expect(row).toEqual({ name: 'Renamed', category: 'clothes', price_cents: '650', description: 'new' });
    expect((await api('inventory').get(`/items/${item.id}`)).body).toEqual(res.body);
  });

  it('records a new stockCount as a correction in the stock history', async () => {
    const item = await newItem({ stockCount: 10 });
    const res = await api('inventory').patch(`/items/${item.id}`).set(adminAuth).send({ stockCount: 4 });
    expect(res.status).toBe(200);
    expect(res.body.stockCount).toBe(4);
    expect(await stockOf(item.id)).toBe(4);
    const [last] = await sql('inventory', 'SELECT kind::text, delta, stock_after FROM stock_movements WHERE item_id = $1 ORDER BY seq DESC LIMIT 1', [item.id]);
    expect(last).toEqual({ kind: 'correction', delta: -6, stock_after: 4 });
    expect(await movementsSum(item.id)).toBe(4);
  });

  it('refuses unknown fields and invalid values with 400 and changes nothing', async () => {
    const item = await newItem({ priceCents: 500 });
    for (const body of [{ id: missingId }, { stockCount: -1 }, { priceCents: 0 }, { category: 'toys' }, { name: '' }, { createdAt: '2020-01-01T00:00:00Z' }]) {
      expectProblem(await api('inventory').patch(`/items/${item.id}`).set(adminAuth).send(body), 400, 'validation_failed');
    }
    expect((await api('inventory').get(`/items/${item.id}`)).body).toEqual(item);
  });

  it('refuses anonymous callers with 401 and customers with 403', async () => {
    const item = await newItem();
    expectProblem(await api('inventory').patch(`/items/${item.id}`).send({ priceCents: 1 }), 401, 'unauthorized');
    expectProblem(await api('inventory').patch(`/items/${item.id}`).set(customer.auth).send({ priceCents: 1 }), 403, 'forbidden');
    expect((await api('inventory').get(`/items/${item.id}`)).body.priceCents).toBe(item.priceCents);
  });

  it('answers 404 for an unknown or deleted item', async () => {
    expectProblem(await api('inventory').patch(`/items/${missingId}`).set(adminAuth).send({ priceCents: 1 }), 404, 'not_found');
    const item = await newItem();
    await api('inventory').delete(`/items/${item.id}`).set(adminAuth).expect(204);
    expectProblem(await api('inventory').patch(`/items/${item.id}`).set(adminAuth).send({ priceCents: 1 }), 404, 'not_found');
  });
});

describe('POST /items/:id/stock-adjustments', () => {
  const adjust = (id: string, body: object, auth = adminAuth) => api('inventory').post(`/items/${id}/stock-adjustments`).set(auth).send(body);

  it('adds and takes away stock, answers the item, and records each change with its reason and admin', async () => {
    const item = await newItem({ stockCount: 10 });
    const added = await adjust(item.id, { delta: 5, reason: 'delivery' });
    expect(added.status).toBe(200);
    expect(added.body).toEqual({ ...item, stockCount: 15, updatedAt: expect.any(String) });
    const taken = await adjust(item.id, { delta: -15 });
    expect(taken.status).toBe(200);
    expect(taken.body.stockCount).toBe(0);
    expect(await stockOf(item.id)).toBe(0);
    const movements = await sql(
      'inventory',
      `SELECT kind::text, delta, stock_after, reason, actor_id IS NOT NULL AS by_admin FROM stock_movements WHERE item_id = $1 AND kind = 'adjustment' ORDER BY seq`,
      [item.id],
    );
    expect(movements).toEqual([
      { kind: 'adjustment', delta: 5, stock_after: 15, reason: 'delivery', by_admin: true },
      { kind: 'adjustment', delta: -15, stock_after: 0, reason: null, by_admin: true },
    ]);
    expect(await movementsSum(item.id)).toBe(0);
  });

  it('answers 409 insufficient_stock when the result would be below zero, and changes nothing', async () => {
    const item = await newItem({ stockCount: 3 });
    expectProblem(await adjust(item.id, { delta: -4 }), 409, 'insufficient_stock');
    expect(await stockOf(item.id)).toBe(3);
    expect(await sql('inventory', `SELECT 1 FROM stock_movements WHERE item_id = $1 AND kind = 'adjustment'`, [item.id])).toEqual([]);
  });

  it('applies concurrent adjustments atomically: 20 takes of 1 from 10 succeed exactly 10 times', async () => {
    const item = await newItem({ stockCount: 10 });
    const results = await Promise.all(Array.from({ length: 20 }, () => adjust(item.id, { delta: -1 })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(10);
    results.filter((r) => r.status !== 200).forEach((r) => expectProblem(r, 409, 'insufficient_stock'));
    expect(await stockOf(item.id)).toBe(0);
    expect(await movementsSum(item.id)).toBe(0);
  });

  it.each([[{ delta: 0 }], [{ delta: 1.5 }], [{ delta: '2' }], [{}], [{ delta: 1, note: 'x' }], [{ delta: 1, reason: '' }]])(
    'refuses %j with 400',
    async (body) => {
      const item = await newItem({ stockCount: 3 });
      expectProblem(await adjust(item.id, body), 400, 'validation_failed');
      expect(await stockOf(item.id)).toBe(3);
    },
  );

  it('refuses anonymous callers with 401 and customers with 403', async () => {
    const item = await newItem({ stockCount: 3 });
    expectProblem(await api('inventory').post(`/items/${item.id}/stock-adjustments`).send({ delta: 1 }), 401, 'unauthorized');
    expectProblem(await adjust(item.id, { delta: 1 }, customer.auth), 403, 'forbidden');
    expect(await stockOf(item.id)).toBe(3);
  });

  it('answers 404 for an unknown or deleted item', async () => {
    expectProblem(await adjust(missingId, { delta: 1 }), 404, 'not_found');
    const item = await newItem({ stockCount: 3 });
    await api('inventory').delete(`/items/${item.id}`).set(adminAuth).expect(204);
    expectProblem(await adjust(item.id, { delta: 1 }), 404, 'not_found');
    expect(await stockOf(item.id)).toBe(3);
  });
});

describe('DELETE /items/:id', () => {
  it('answers 204, keeps the row (soft delete), and the item then answers 404 and leaves every list', async () => {
    const item = await newItem();
    const res = await api('inventory').delete(`/items/${item.id}`).set(adminAuth);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    const [row] = await sql('inventory', 'SELECT deleted_at FROM items WHERE id = $1', [item.id]);
    expect(row.deleted_at).toBeInstanceOf(Date);
    expectProblem(await api('inventory').get(`/items/${item.id}`), 404, 'not_found');
    for (const query of [{ q: item.name }, { q: item.name, inStock: 'true' }, { q: item.name, category: 'food', sort: '-priceCents' }]) {
      const list = await api('inventory').get('/items').query(query);
      expect(list.body).toMatchObject({ data: [], total: 0 });
    }
  });

  it('answers 404 for an unknown item and for a second delete', async () => {
    expectProblem(await api('inventory').delete(`/items/${missingId}`).set(adminAuth), 404, 'not_found');
    const item = await newItem();
    await api('inventory').delete(`/items/${item.id}`).set(adminAuth).expect(204);
    expectProblem(await api('inventory').delete(`/items/${item.id}`).set(adminAuth), 404, 'not_found');
  });

  it('refuses anonymous callers with 401 and customers with 403, and keeps the item', async () => {
    const item = await newItem();
    expectProblem(await api('inventory').delete(`/items/${item.id}`), 401, 'unauthorized');
    expectProblem(await api('inventory').delete(`/items/${item.id}`).set(customer.auth), 403, 'forbidden');
    expect((await api('inventory').get(`/items/${item.id}`)).status).toBe(200);
  });
});
