// Issue 23: a burst of catalogue reads must never refuse a purchase. Inventory's stock reservations have a pool
// of their own (DATABASE_STOCK_POOL_SIZE), so list reads that take every pooled connection leave them alone.
// The storm is made heavy enough to be refused itself (a one-connection request pool, 96 readers at once): without
// the stock pool the reservations queue behind it and the purchases are answered 503.
import { api, eventually, newCustomer, newItem, startInstance } from '@shop/testkit';

jest.setTimeout(120_000);

// The services' own limits (a second to get a connection: enough to open one on a loaded machine), one connection.
const TIGHT_POOL = { DATABASE_POOL_SIZE: '1', DATABASE_ACQUIRE_TIMEOUT_MS: '1000', DATABASE_STATEMENT_TIMEOUT_MS: '5000', DATABASE_LOCK_TIMEOUT_MS: '2000' };

it('every purchase succeeds while a storm of GET /items exhausts inventory’s request pool', async () => {
  const inventory = await startInstance('inventory', TIGHT_POOL);
  // One attempt per call: a 503 from inventory is the purchase's 503, not hidden by a retry.
  const sales = await startInstance('sales', { INVENTORY_URL: inventory.url, SERVICE_RETRY_ATTEMPTS: '1', SERVICE_TIMEOUT_MS: '5000' });
  const buyer = await newCustomer({ balanceCents: 1_000_000 });
  const item = await newItem({ stockCount: 1_000, priceCents: 100 });

  let storming = true;
  const reads: number[] = [];
  const readers = Array.from({ length: 96 }, async (_, n) => {
    while (storming) reads.push((await api(inventory.url).get(`/items?limit=100&sort=${n % 2 ? '-priceCents' : 'name'}`)).status);
  });
  try {
    await eventually('the read storm to exhaust the request pool (reads answered 503)', () => Promise.resolve(reads.includes(503)), 60_000);
    const purchases: number[] = [];
    for (let i = 0; i < 12; i++) {
      const batch = await Promise.all([0, 1].map(() => api(sales.url).post('/sales').set(buyer.auth).send({ itemId: item.id, quantity: 1 })));
      purchases.push(...batch.map((res) => res.status));
    }
    expect(reads.filter((status) => status === 503).length).toBeGreaterThan(0);
    expect(purchases).toEqual(Array.from({ length: 24 }, () => 201));
  } finally {
    storming = false;
    await Promise.all(readers);
  }
  expect((await api('inventory').get(`/items/${item.id}`)).body.stockCount).toBe(1_000 - 24);
});
