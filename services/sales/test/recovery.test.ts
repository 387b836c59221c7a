// The recovery sweep: pending sales a dead process left behind are undone, each exactly once, even with
// several replicas sweeping the same database.
import crypto from 'node:crypto';
import { api, serviceAuth, sessionIdOf, sql, system } from '@shop/testkit';
import { startProxy } from './support/proxy';
import { balanceOf, buyerAndItem, ledgerFor, startSales, stockOf, sweepingSales, waitFor } from './support/shop';

/** Leaves a sale as a process killed mid-purchase would: PENDING, stock taken, maybe money taken. */
async function abandonedSale(
  customer: { id: string; username: string; token: string },
  itemId: string,
  options: { debited: boolean; priceCents: number; key?: string; age?: string },
) {
  const id = crypto.randomUUID();
  await sql(
    'sales',
    `WITH sale AS (
       INSERT INTO sales (id, customer_id, username, username_key, status, created_at)
       VALUES ($1, $2, $3::text, lower($3::text), 'PENDING', now() - $5::interval) RETURNING id
     )
     INSERT INTO sale_lines (sale_id, position, item_id, quantity) SELECT id, 0, $4, 1 FROM sale`,
    [id, customer.id, customer.username, itemId, options.age ?? '1 hour'],
  );
  if (options.key) {
    await sql(
      'sales',
      `INSERT INTO idempotency_keys (customer_id, key, request_hash, sale_id, expires_at) VALUES ($1, $2, repeat('0', 64), $3, now() + interval '1 day')`,
      [customer.id, options.key, id],
    );
  }
  const reserved = await api('inventory')
    .post('/internal/stock/reservations')
    .set(serviceAuth('inventory'))
    .send({ reference: id, lines: [{ itemId, quantity: 1 }] });
  expect(reserved.status).toBe(201);
  if (options.debited) {
    const debited = await api('customers')
      .post('/internal/wallet/debits')
      .set(serviceAuth('customers'))
      .send({ customerId: customer.id, amountCents: options.priceCents, reference: id, sessionId: sessionIdOf(customer.token) });
    expect(debited.status).toBe(201);
  }
  return id;
}

describe('recovery sweep', () => {
  it('undoes each abandoned sale exactly once while two instances sweep the same database', async () => {
    const { customer, item } = await buyerAndItem({ balanceCents: 100_000, stockCount: 40, priceCents: 100 });
    // Made young, so that no sweeper (other test files run some) takes them while they are set up…
    const ids = await Promise.all(
      Array.from({ length: 30 }, (_, i) => abandonedSale(customer, item.id, { debited: i % 2 === 0, priceCents: 100, key: `k-${i}`, age: '0 seconds' })),
    );
    expect(await stockOf(item.id)).toBe(10);
    expect(await balanceOf(customer)).toBe(100_000 - 15 * 100);

    // Each replica reaches customers through its own proxy, which holds its refunds until the other replica's
    // proxy has one too. A sweeper undoes one sale at a time, so a refund held at each proxy means both replicas
    // have claimed a sale: neither can finish the batch alone, however the machine schedules them. (If sweepers
    // of other test files take every remaining sale meanwhile, the hold gives up 3 s after the first refund, well
    // within the replicas' 4 s call timeout; the assertion on `recovered_by` below still needs two processes.)
    const refundsSeen = [0, 0];
    let bothIn!: () => void;
    const bothSweeping = new Promise<void>((resolve) => (bothIn = resolve));
    let fallback: NodeJS.Timeout | undefined;
    const proxies = await Promise.all(
      [0, 1].map((i) =>
        startProxy(system().urls.customers, (req) => {
          if (req.path !== '/internal/wallet/refunds') return { kind: 'forward' };
          refundsSeen[i]! += 1;
          fallback ??= setTimeout(bothIn, 3_000);
          if (refundsSeen.every((n) => n > 0)) bothIn();
          return { kind: 'hold' };
        }),
      ),
    );
    void bothSweeping.then(() => {
      clearTimeout(fallback);
      for (const proxy of proxies) {
        proxy.setRule(() => ({ kind: 'forward' }));
        void proxy.releaseHeld();
      }
    });
    try {
      // Both replicas are up and sweeping before any sale is old enough for them.
      const env = { ...sweepingSales, SERVICE_TIMEOUT_MS: '4000', SWEEP_AGE_MS: '20000' };
      const replicas = await Promise.all(proxies.map((proxy) => startSales({ ...env, CUSTOMERS_URL: proxy.url })));
      // Older than the replicas' threshold (20 s), younger than the main instance's (120 s).
      await sql('sales', `UPDATE sales SET created_at = now() - interval '30 seconds' WHERE id = ANY($1::uuid[])`, [ids]);
      const settled = async () => {
        const rows = await sql('sales', `SELECT count(*)::int AS n FROM sales WHERE id = ANY($1::uuid[]) AND status = 'FAILED'`, [ids]);
        return rows[0].n === ids.length;
      };
      await waitFor(settled, 45_000, 'every abandoned sale to be undone');

      const rows = await sql<{ recovery_count: number; recovered_by: string; failure_reason: string }>(
        'sales',
        'SELECT recovery_count, recovered_by, failure_reason FROM sales WHERE id = ANY($1::uuid[])',
        [ids],
      );
      expect(rows.every((row) => row.recovery_count === 1 && row.failure_reason === 'abandoned')).toBe(true);
      // Several processes did the work (the two replicas; sweeping instances of other test files may join in).
      expect(new Set(rows.map((row) => row.recovered_by)).size).toBeGreaterThanOrEqual(2);
      // Exactly one release per sale reached inventory's history, and one refund per debited sale.
      const releases = await sql(
        'inventory',
        `SELECT reference, count(*)::int AS n FROM stock_movements WHERE kind = 'release' AND reference = ANY($1) GROUP BY reference`,
        [ids],
      );
      expect(releases).toHaveLength(30);
      expect(releases.every((row) => row.n === 1)).toBe(true);
      for (const [i, id] of ids.entries()) {
        expect(await ledgerFor(id)).toEqual(
          i % 2 === 0
            ? [
                { type: 'purchase', amount: -100 },
                { type: 'refund', amount: 100 },
              ]
            : [],
        );
      }
      expect(await stockOf(item.id)).toBe(40);
      expect(await balanceOf(customer)).toBe(100_000);
      // Their idempotency keys were released with them.
      expect(await sql('sales', 'SELECT 1 FROM idempotency_keys WHERE sale_id = ANY($1::uuid[])', [ids])).toEqual([]);
      await Promise.all(replicas.map((replica) => replica.stop()));
    } finally {
      clearTimeout(fallback);
      await Promise.all(proxies.map((proxy) => proxy.close()));
    }
  });

  it('leaves a pending sale younger than the threshold alone (a live purchase), and takes the older one', async () => {
    const { customer, item } = await buyerAndItem({ stockCount: 5, priceCents: 100 });
    const sweeper = await startSales({ SWEEP_INTERVAL_MS: '200', SWEEP_AGE_MS: '60000' });
    // Made just now (other test files run instances with a 5.5 s threshold: the check below comes well before),
    // and before the old one: the sweep that undoes the old one has necessarily seen the young one and left it.
    const young = await abandonedSale(customer, item.id, { debited: true, priceCents: 100, age: '0 seconds' });
    const old = await abandonedSale(customer, item.id, { debited: true, priceCents: 100, age: '10 minutes' });
    const status = async (id: string) => (await sql('sales', 'SELECT status::text FROM sales WHERE id = $1', [id]))[0].status;
    await waitFor(async () => (await status(old)) === 'FAILED', 20_000, 'the old sale to be undone');
    expect(await status(young)).toBe('PENDING');
    expect(await stockOf(item.id)).toBe(4);
    expect(await balanceOf(customer)).toBe(10_000 - 100);
    await sweeper.stop();
    // Clean up as the sweep eventually would.
    await api('inventory').post('/internal/stock/releases').set(serviceAuth('inventory')).send({ reference: young });
    await api('customers').post('/internal/wallet/refunds').set(serviceAuth('customers')).send({ customerId: customer.id, reference: young });
    await sql('sales', `UPDATE sales SET status = 'FAILED', failure_reason = 'test cleanup' WHERE id = $1`, [young]);
  });
});
