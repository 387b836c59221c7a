// POST /sales, purchase history and the internal "has bought" question, through the real services.
import crypto from 'node:crypto';
import { admin, api, deleteItem, expectProblem, forgedTokens, newCustomer, serviceAuth, sql, system } from '@shop/testkit';
import { balanceOf, buy, buyerAndItem, ledgerFor, newItem, onlySale, salesOf, startSales, stockOf } from './support/shop';
import { startProxy } from './support/proxy';

const saleShape = {
  id: expect.any(String),
  customerId: expect.any(String),
  username: expect.any(String),
  itemId: expect.any(String),
  itemName: expect.any(String),
  unitPriceCents: expect.any(Number),
  quantity: expect.any(Number),
  totalCents: expect.any(Number),
  refundedCents: 0,
  status: 'completed',
  createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
  updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
};

describe('POST /sales', () => {
  it('takes the stock, debits the wallet at the current price and records a completed sale', async () => {
    const { customer, item } = await buyerAndItem({ balanceCents: 1000, stockCount: 5, priceCents: 150 });
    const res = await buy(customer, item.id, 3);

    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      ...saleShape,
      customerId: customer.id,
      username: customer.username,
      itemId: item.id,
      itemName: item.name,
      unitPriceCents: 150,
      quantity: 3,
      totalCents: 450,
      // v2: the one line, also at the top level for v1 clients.
      lines: [{ itemId: item.id, itemName: item.name, unitPriceCents: 150, quantity: 3, totalCents: 450, refundedQuantity: 0 }],
    });
    expect(res.headers.location).toBe(`/sales/${res.body.id}`);
    expect(await stockOf(item.id)).toBe(2);
    expect(await balanceOf(customer)).toBe(550);
    expect(await ledgerFor(res.body.id)).toEqual([{ type: 'purchase', amount: -450 }]);
    expect(await salesOf(customer.id)).toEqual([{ id: res.body.id, status: 'COMPLETED', failure_reason: null, recovery_count: 0 }]);
  });

  it('buys one when no quantity is given, and lets an admin buy for themselves', async () => {
    const item = await newItem({ stockCount: 3, priceCents: 100 });
    const { auth } = await admin();
    await api('customers').post(`/customers/${system().admin.username}/wallet/deposits`).set(auth).send({ amountCents: 100 });
    const res = await api('sales').post('/sales').set(auth).send({ itemId: item.id });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ quantity: 1, totalCents: 100, username: system().admin.username });
    expect(await stockOf(item.id)).toBe(2);
  });

  it('charges the price of the moment: the sale keeps it when the item changes later', async () => {
    const { customer, item } = await buyerAndItem({ priceCents: 300 });
    const { auth } = await admin();
    expect((await api('inventory').patch(`/items/${item.id}`).set(auth).send({ priceCents: 500 })).status).toBe(200);
    const res = await buy(customer, item.id);
    expect(res.body).toMatchObject({ unitPriceCents: 500, totalCents: 500 });
    await api('inventory').patch(`/items/${item.id}`).set(auth).send({ priceCents: 700, name: 'renamed' });
    expect((await api('sales').get(`/sales/${res.body.id}`).set(customer.auth)).body).toMatchObject({ unitPriceCents: 500, itemName: item.name });
  });

  it('answers 409 insufficient_stock when too few are left, and takes nothing', async () => {
    const { customer, item } = await buyerAndItem({ stockCount: 2 });
    expectProblem(await buy(customer, item.id, 3), 409, 'insufficient_stock');
    expect(await stockOf(item.id)).toBe(2);
    expect(await balanceOf(customer)).toBe(10_000);
    expect(await salesOf(customer.id)).toEqual([expect.objectContaining({ status: 'FAILED', failure_reason: 'insufficient_stock' })]);
  });

  it('answers 402 insufficient_funds when the wallet is short, before any stock is reserved', async () => {
    const { customer, item } = await buyerAndItem({ balanceCents: 100, stockCount: 4, priceCents: 60 });
    expectProblem(await buy(customer, item.id, 2), 402, 'insufficient_funds');
    expect(await stockOf(item.id)).toBe(4);
    expect(await balanceOf(customer)).toBe(100);
    const sale = await onlySale(customer.id);
    expect(sale).toMatchObject({ status: 'FAILED', failure_reason: 'insufficient_funds' });
    expect(await ledgerFor(sale.id)).toEqual([]);
    // The balance was checked first: no reservation, and no stock movement (not even a sale and its release).
    expect(await sql('inventory', 'SELECT 1 FROM stock_reservations WHERE reference = $1', [sale.id])).toEqual([]);
    expect(await sql('inventory', "SELECT kind::text FROM stock_movements WHERE item_id = $1 AND kind <> 'initial'", [item.id])).toEqual([]);
  });

  it('gives the stock back when the debit refuses what the balance check let through (the debit decides)', async () => {
    // Two purchases that each fit the balance, at once: both may pass the check, only one can be paid.
    const { customer, item } = await buyerAndItem({ balanceCents: 100, stockCount: 4, priceCents: 60 });
    const answers = await Promise.all([buy(customer, item.id), buy(customer, item.id)]);
    expect(answers.map((res) => res.status).sort()).toEqual([201, 402]);
    expect(await stockOf(item.id)).toBe(3);
    expect(await balanceOf(customer)).toBe(40);
    const failed = (await salesOf(customer.id)).find((sale) => sale.status === 'FAILED')!;
    expect(await ledgerFor(failed.id)).toEqual([]);
    const reservation = await sql('inventory', 'SELECT state::text FROM stock_reservations WHERE reference = $1', [failed.id]);
    // Refused at the check (nothing reserved) or by the debit (reserved, then released): never left taken.
    for (const row of reservation) expect(row.state).toBe('released');
  });

  it('answers 404 for an item that does not exist or was deleted', async () => {
    const customer = await newCustomer({ balanceCents: 1000 });
    expectProblem(await buy(customer, crypto.randomUUID()), 404, 'not_found');
    const item = await newItem();
    await deleteItem(item.id);
    expectProblem(await buy(customer, item.id), 404, 'not_found');
    expect(await balanceOf(customer)).toBe(1000);
  });

  it.each([
    ['no item id', { itemId: undefined }],
    ['an item id that is not a uuid', { itemId: 'abc' }],
    ['quantity 0', { quantity: 0 }],
    ['quantity 1001', { quantity: 1001 }],
    ['a fractional quantity', { quantity: 1.5 }],
    ['an unknown field', { totalCents: 1 }],
  ])('answers 400 validation_failed for %s', async (_name, patch) => {
    const { customer, item } = await buyerAndItem();
    const res = await api('sales')
      .post('/sales')
      .set(customer.auth)
      .send({ itemId: item.id, ...patch });
    expectProblem(res, 400, 'validation_failed');
    expect(await salesOf(customer.id)).toEqual([]);
  });

  it('answers 400 for an Idempotency-Key that is empty or longer than 255 characters', async () => {
    const { customer, item } = await buyerAndItem();
    for (const key of ['', 'k'.repeat(256)]) {
      expectProblem(await api('sales').post('/sales').set(customer.auth).set('Idempotency-Key', key).send({ itemId: item.id }), 400, 'validation_failed');
    }
    expect(await stockOf(item.id)).toBe(10);
  });

  it('answers 401 without a token and with forged or expired ones', async () => {
    const item = await newItem();
    expectProblem(await api('sales').post('/sales').send({ itemId: item.id }), 401, 'unauthorized');
    await admin();
    const forged = forgedTokens({ sub: crypto.randomUUID(), username: 'mallory', role: 'admin' });
    for (const token of Object.values(forged)) {
      expectProblem(await api('sales').post('/sales').set('Authorization', `Bearer ${token}`).send({ itemId: item.id }), 401, 'unauthorized');
    }
    expect(await stockOf(item.id)).toBe(10);
  });

  it('forwards the request id to inventory and customers, with the sale id as reference', async () => {
    const inventoryProxy = await startProxy(system().urls.inventory);
    const customersProxy = await startProxy(system().urls.customers);
    try {
      const sales = await startSales({ INVENTORY_URL: inventoryProxy.url, CUSTOMERS_URL: customersProxy.url });
      const { customer, item } = await buyerAndItem();
      const res = await api(sales.url).post('/sales').set(customer.auth).set('X-Request-Id', 'trace-sale-1').send({ itemId: item.id });
      expect(res.status).toBe(201);
      const calls = [...inventoryProxy.seen, ...customersProxy.seen].map((seen) => ({
        path: seen.path,
        id: seen.headers['x-request-id'],
        ref: seen.body?.reference,
      }));
      expect(calls).toEqual([
        { path: `/items/${item.id}`, id: 'trace-sale-1', ref: undefined },
        { path: '/internal/stock/reservations', id: 'trace-sale-1', ref: res.body.id },
        { path: `/internal/customers/${customer.id}/balance`, id: 'trace-sale-1', ref: undefined },
        { path: '/internal/wallet/debits', id: 'trace-sale-1', ref: res.body.id },
      ]);
      await sales.stop();
    } finally {
      await Promise.all([inventoryProxy.close(), customersProxy.close()]);
    }
  });
});

describe('GET /sales', () => {
  async function twoBuyers() {
    const item = await newItem({ stockCount: 10, priceCents: 10 });
    const [alice, bob] = await Promise.all([newCustomer({ balanceCents: 1000 }), newCustomer({ balanceCents: 1000 })]);
    const a1 = (await buy(alice, item.id, 1)).body;
    const a2 = (await buy(alice, item.id, 2)).body;
    const b1 = (await buy(bob, item.id, 1)).body;
    return { item, alice, bob, a1, a2, b1 };
  }

  it("lists a customer's own completed sales, newest first, and nobody else's", async () => {
    const { alice, a1, a2 } = await twoBuyers();
    await buy(alice, crypto.randomUUID()); // a failed attempt is not history
    const res = await api('sales').get('/sales').set(alice.auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [a2, a1], total: 2, totalIsEstimate: false, limit: 20, offset: 0, nextCursor: null });
  });

  it('paginates', async () => {
    const { alice, a1, a2 } = await twoBuyers();
    expect((await api('sales').get('/sales?limit=1').set(alice.auth)).body).toEqual({
      data: [a2],
      total: 2,
      totalIsEstimate: false,
      limit: 1,
      offset: 0,
      nextCursor: expect.any(String),
    });
    expect((await api('sales').get('/sales?limit=1&offset=1').set(alice.auth)).body).toEqual({
      data: [a1],
      total: 2,
      totalIsEstimate: false,
      limit: 1,
      offset: 1,
      nextCursor: null,
    });
  });

  it("lets an admin see everyone's sales and filter by username (case-insensitive)", async () => {
    const { alice, bob, a1, a2, b1 } = await twoBuyers();
    const { auth } = await admin();
    const all = await api('sales').get('/sales?limit=100').set(auth);
    expect(all.status).toBe(200);
    const ids = all.body.data.map((sale: { id: string }) => sale.id);
    expect(ids).toEqual(expect.arrayContaining([a1.id, a2.id, b1.id]));
    expect(ids.indexOf(b1.id)).toBeLessThan(ids.indexOf(a1.id));
    expect((await api('sales').get(`/sales?username=${bob.username.toUpperCase()}`).set(auth)).body).toEqual({
      data: [b1],
      total: 1,
      totalIsEstimate: false,
      limit: 20,
      offset: 0,
      nextCursor: null,
    });
    expect((await api('sales').get(`/sales?username=${alice.username}`).set(auth)).body.total).toBe(2);
  });

  it("answers 403 when a customer asks for another customer's sales, and accepts their own name", async () => {
    const { alice, bob } = await twoBuyers();
    expectProblem(await api('sales').get(`/sales?username=${bob.username}`).set(alice.auth), 403, 'forbidden');
    expect((await api('sales').get(`/sales?username=${alice.username}`).set(alice.auth)).body.total).toBe(2);
  });

  it('answers 400 for bad paging or username and 401 without a token', async () => {
    const customer = await newCustomer();
    for (const query of ['limit=0', 'limit=101', 'offset=-1', 'username=a', 'limit=x']) {
      expectProblem(await api('sales').get(`/sales?${query}`).set(customer.auth), 400, 'validation_failed');
    }
    expectProblem(await api('sales').get('/sales'), 401, 'unauthorized');
  });
});

describe('GET /sales/:id', () => {
  it('shows a sale to its buyer and to admins, and answers 404 to anyone else', async () => {
    const { customer, item } = await buyerAndItem();
    const sale = (await buy(customer, item.id)).body;
    expect((await api('sales').get(`/sales/${sale.id}`).set(customer.auth)).body).toEqual(sale);
    expect(
      (
        await api('sales')
          .get(`/sales/${sale.id}`)
          .set((await admin()).auth)
      ).body,
    ).toEqual(sale);
    expectProblem(
      await api('sales')
        .get(`/sales/${sale.id}`)
        .set((await newCustomer()).auth),
      404,
      'not_found',
    );
  });

  it('answers 404 for unknown and failed sales, 400 for a malformed id, 401 without a token', async () => {
    const { customer, item } = await buyerAndItem({ stockCount: 1 });
    await buy(customer, item.id, 2);
    const failed = await onlySale(customer.id);
    expectProblem(await api('sales').get(`/sales/${failed.id}`).set(customer.auth), 404, 'not_found');
    expectProblem(await api('sales').get(`/sales/${crypto.randomUUID()}`).set(customer.auth), 404, 'not_found');
    expectProblem(await api('sales').get('/sales/not-a-uuid').set(customer.auth), 400, 'validation_failed');
    expectProblem(await api('sales').get(`/sales/${failed.id}`), 401, 'unauthorized');
  });
});

describe('GET /internal/purchases', () => {
  it('says whether a customer has a completed sale of an item', async () => {
    const { customer, item } = await buyerAndItem({ stockCount: 1 });
    const other = await newItem();
    const ask = (itemId: string) => api('sales').get(`/internal/purchases?customerId=${customer.id}&itemId=${itemId}`).set(serviceAuth('sales'));
    expect((await ask(item.id)).body).toEqual({ purchased: false });
    await buy(customer, item.id);
    await buy(customer, other.id, 11); // failed: not a purchase
    expect((await ask(item.id)).body).toEqual({ purchased: true });
    expect((await ask(other.id)).body).toEqual({ purchased: false });
  });

  it('without an item, says whether the customer has a completed sale of anything (reviews weighs reports by it)', async () => {
    const { customer, item } = await buyerAndItem({ stockCount: 1 });
    const ask = () => api('sales').get(`/internal/purchases?customerId=${customer.id}`).set(serviceAuth('sales'));
    expect((await ask()).body).toEqual({ purchased: false });
    await buy(customer, item.id, 11); // failed: not a purchase
    expect((await ask()).body).toEqual({ purchased: false });
    await buy(customer, item.id);
    expect((await ask()).body).toEqual({ purchased: true });
  });

  it('refuses users (403) and anonymous callers (401), and answers 400 for bad ids', async () => {
    const customer = await newCustomer();
    const path = `/internal/purchases?customerId=${customer.id}&itemId=${crypto.randomUUID()}`;
    expectProblem(await api('sales').get(path).set(customer.auth), 403, 'forbidden');
    expectProblem(
      await api('sales')
        .get(path)
        .set((await admin()).auth),
      403,
      'forbidden',
    );
    expectProblem(await api('sales').get(path), 401, 'unauthorized');
    expectProblem(await api('sales').get(path).set('Authorization', 'Bearer not-the-service-token'), 401, 'unauthorized');
    expectProblem(await api('sales').get(`/internal/purchases?customerId=x&itemId=${crypto.randomUUID()}`).set(serviceAuth('sales')), 400, 'validation_failed');
    expectProblem(await api('sales').get(`/internal/purchases?customerId=${customer.id}&itemId=x`).set(serviceAuth('sales')), 400, 'validation_failed');
  });
});
