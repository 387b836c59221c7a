// Contract v3 inventory additions: lowStockThreshold, GET /items/:id/stock-movements, GET /items?lowStock=.
import crypto from 'node:crypto';
import { admin, api, deleteItem, newCustomer, expectProblem } from '@shop/testkit';
import { itemBody, newItem, release, reserve } from './helpers';

let adminAuth: { Authorization: string };
beforeAll(async () => {
  adminAuth = (await admin()).auth;
});

const movementsOf = async (id: string, query = '') => {
  const res = await api('inventory').get(`/items/${id}/stock-movements${query}`).set(adminAuth);
  expect(res.status).toBe(200);
  return res.body as { data: Array<{ kind: string; delta: number; stockAfter: number; reference: string | null; reason: string | null }>; total: number };
};

describe('lowStockThreshold', () => {
  it('defaults to null, is set on create and changed or cleared by PATCH', async () => {
    expect((await newItem()).lowStockThreshold).toBeNull();
    const res = await api('inventory')
      .post('/items')
      .set(adminAuth)
      .send({ ...itemBody(), lowStockThreshold: 3 });
    expect(res.body.lowStockThreshold).toBe(3);
    const patched = await api('inventory').patch(`/items/${res.body.id}`).set(adminAuth).send({ lowStockThreshold: 0 });
    expect(patched.body.lowStockThreshold).toBe(0);
    const cleared = await api('inventory').patch(`/items/${res.body.id}`).set(adminAuth).send({ lowStockThreshold: null });
    expect(cleared.body.lowStockThreshold).toBeNull();
    expect((await api('inventory').get(`/items/${res.body.id}`)).body.lowStockThreshold).toBeNull();
  });

  it('refuses a negative, fractional or too large threshold (400)', async () => {
    for (const lowStockThreshold of [-1, 1.5, 2_000_000_000, '3']) {
      expectProblem(
        await api('inventory')
          .post('/items')
          .set(adminAuth)
          .send({ ...itemBody(), lowStockThreshold }),
        400,
        'validation_failed',
      );
    }
  });
});

describe('GET /items/:id/stock-movements', () => {
  it('lists every kind of movement newest first, and the deltas sum to the stock', async () => {
    const item = await newItem({ stockCount: 10 });
    await api('inventory').post(`/items/${item.id}/stock-adjustments`).set(adminAuth).send({ delta: 5, reason: 'delivery' });
    await api('inventory').patch(`/items/${item.id}`).set(adminAuth).send({ stockCount: 12 });
    const [sold, undone] = [crypto.randomUUID(), crypto.randomUUID()];
    expect((await reserve({ reference: sold, itemId: item.id, quantity: 3 })).status).toBe(201);
    expect((await reserve({ reference: undone, itemId: item.id, quantity: 2 })).status).toBe(201);
    expect((await release(undone)).status).toBe(200);

    const page = await movementsOf(item.id);
    expect(page.total).toBe(6);
    expect(page.data.map(({ kind, delta, stockAfter, reference, reason }) => ({ kind, delta, stockAfter, reference, reason }))).toEqual([
      { kind: 'release', delta: 2, stockAfter: 9, reference: undone, reason: null },
      { kind: 'sale', delta: -2, stockAfter: 7, reference: undone, reason: null },
      { kind: 'sale', delta: -3, stockAfter: 9, reference: sold, reason: null },
      { kind: 'adjustment', delta: -3, stockAfter: 12, reference: null, reason: null },
      { kind: 'adjustment', delta: 5, stockAfter: 15, reference: null, reason: 'delivery' },
      { kind: 'initial', delta: 10, stockAfter: 10, reference: null, reason: null },
    ]);
    const stock = (await api('inventory').get(`/items/${item.id}`)).body.stockCount;
    expect(page.data.reduce((sum, m) => sum + m.delta, 0)).toBe(stock);
    expect((await movementsOf(item.id, '?limit=2&offset=1')).data.map((m) => m.kind)).toEqual(['sale', 'sale']);
  });

  it('stock movements sum to the stock after purchases through sales', async () => {
    const item = await newItem({ stockCount: 8, priceCents: 100 });
    const buyer = await newCustomer({ balanceCents: 1_000 });
    for (const quantity of [1, 2, 3]) expect((await api('sales').post('/sales').set(buyer.auth).send({ itemId: item.id, quantity })).status).toBe(201);
    const page = await movementsOf(item.id);
    expect(page.data.map((m) => m.kind)).toEqual(['sale', 'sale', 'sale', 'initial']);
    expect(page.data.reduce((sum, m) => sum + m.delta, 0)).toBe((await api('inventory').get(`/items/${item.id}`)).body.stockCount);
  });

  it('is for admins only, and 404 for an unknown or deleted item', async () => {
    const item = await newItem();
    const customer = await newCustomer();
    expectProblem(await api('inventory').get(`/items/${item.id}/stock-movements`), 401, 'unauthorized');
    expectProblem(await api('inventory').get(`/items/${item.id}/stock-movements`).set(customer.auth), 403, 'forbidden');
    expectProblem(await api('inventory').get(`/items/${crypto.randomUUID()}/stock-movements`).set(adminAuth), 404, 'not_found');
    await deleteItem(item.id);
    expectProblem(await api('inventory').get(`/items/${item.id}/stock-movements`).set(adminAuth), 404, 'not_found');
  });
});

describe('GET /items?lowStock=', () => {
  it('lists the items at or below their threshold (admin), and the others with false', async () => {
    const tag = `low${crypto.randomBytes(4).toString('hex')}`;
    const make = (stockCount: number, lowStockThreshold: number | null) =>
      api('inventory')
        .post('/items')
        .set(adminAuth)
        .send({ ...itemBody({ stockCount }), name: `${tag} ${stockCount}/${lowStockThreshold}`, lowStockThreshold })
        .then((r) => r.body);
    const [low, atThreshold, above, none] = [await make(1, 5), await make(5, 5), await make(6, 5), await make(0, null)];
    const names = async (lowStock: string) => {
      const res = await api('inventory').get(`/items?q=${tag}&lowStock=${lowStock}&limit=100`).set(adminAuth);
      expect(res.status).toBe(200);
      return res.body.data.map((i: { id: string }) => i.id).sort();
    };
    expect(await names('true')).toEqual([low.id, atThreshold.id].sort());
    expect(await names('false')).toEqual([above.id, none.id].sort());
  });

  it('is for admins only', async () => {
    const customer = await newCustomer();
    expectProblem(await api('inventory').get('/items?lowStock=true'), 401, 'unauthorized');
    expectProblem(await api('inventory').get('/items?lowStock=true').set(customer.auth), 403, 'forbidden');
    expectProblem(await api('inventory').get('/items?lowStock=yes').set(adminAuth), 400, 'validation_failed');
    expect((await api('inventory').get('/items').set(customer.auth)).status).toBe(200);
  });
});
