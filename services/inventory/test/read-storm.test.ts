// Issue 23: a burst of catalogue reads must never refuse a purchase. Inventory's stock reservations have a pool
// of their own (DATABASE_STOCK_POOL_SIZE), so list reads that take every pooled connection leave them alone.
// The storm is made to exhaust the request pool for certain, whatever the machine's speed: the test locks the
// table the unfiltered list reads its total from (list_counts), so each read holds the one pooled connection until
// the lock wait gives up, and the 96 readers behind it are refused (503). Without the stock pool the reservations
// queue behind them and the purchases are answered 503. (Reservations never touch list_counts while the item stays
// in stock, so the lock itself cannot hold them.)
import { admin, api, eventually, newCustomer, startIsolated } from '@shop/testkit';
import pg from 'pg';

jest.setTimeout(120_000);

// The services' own limits (a second to get a connection: enough to open one on a loaded machine), one connection.
const TIGHT_POOL = { DATABASE_POOL_SIZE: '1', DATABASE_ACQUIRE_TIMEOUT_MS: '1000', DATABASE_STATEMENT_TIMEOUT_MS: '5000', DATABASE_LOCK_TIMEOUT_MS: '2000' };

it('every purchase succeeds while a storm of GET /items exhausts inventory’s request pool', async () => {
  const { instances, databaseUrl } = await startIsolated('inventory', 1, TIGHT_POOL);
  const inventory = instances[0]!;
  // One attempt per call: a 503 from inventory is the purchase's 503, not hidden by a retry.
  const sales = await startIsolated('sales', 1, { INVENTORY_URL: inventory.url, SERVICE_RETRY_ATTEMPTS: '1', SERVICE_TIMEOUT_MS: '5000' });
  const buyer = await newCustomer({ balanceCents: 1_000_000 });
  const auth = (await admin()).auth;
  const item = (await api(inventory.url).post('/items').set(auth).send({ name: 'storm cup', category: 'accessories', priceCents: 100, stockCount: 1_000 }))
    .body as { id: string };

  const lock = new pg.Client({ connectionString: databaseUrl });
  await lock.connect();
  let storming = true;
  const reads: number[] = [];
  const readers = Array.from({ length: 96 }, async (_, n) => {
    while (storming) reads.push((await api(inventory.url).get(`/items?limit=100&sort=${n % 2 ? '-priceCents' : 'name'}`)).status);
  });
  try {
    await lock.query('BEGIN');
    await lock.query('LOCK TABLE list_counts IN ACCESS EXCLUSIVE MODE');
    await eventually('the read storm to exhaust the request pool (reads answered 503)', () => Promise.resolve(reads.includes(503)), 60_000);
    const purchases: number[] = [];
    for (let i = 0; i < 12; i++) {
      const batch = await Promise.all([0, 1].map(() => api(sales.instances[0]!.url).post('/sales').set(buyer.auth).send({ itemId: item.id, quantity: 1 })));
      purchases.push(...batch.map((res) => res.status));
    }
    expect(purchases).toEqual(Array.from({ length: 24 }, () => 201));
  } finally {
    await lock.query('ROLLBACK').catch(() => undefined);
    await lock.end();
    storming = false;
    await Promise.all(readers);
  }
  expect(reads.filter((status) => status === 503).length).toBeGreaterThan(0);
  expect((await api(inventory.url).get(`/items/${item.id}`)).body.stockCount).toBe(1_000 - 24);
});
