// Many buyers at once on little stock: exactly the stock is sold and money is conserved.
import { api, newCustomer, sql } from '@shop/testkit';
import { balanceOf, newItem, startSales, stockOf } from './support/shop';

describe('POST /sales under concurrency', () => {
  it('sells exactly the stock to 100 concurrent buyers of 10 items, and conserves money', async () => {
    const price = 700;
    const deposit = 5_000;
    const item = await newItem({ stockCount: 10, priceCents: price });
    const buyers = [];
    for (let i = 0; i < 100; i += 20) buyers.push(...(await Promise.all(Array.from({ length: 20 }, () => newCustomer({ balanceCents: deposit })))));

    // A sales instance whose service timeout is generous: a test run shares two cores with every other
    // service and test, and a slow machine must not be mistaken for a dead dependency (that is faults.test.ts).
    const sales = await startSales({ SERVICE_TIMEOUT_MS: '10000', SWEEP_AGE_MS: '600000' });
    const answers = await Promise.all(buyers.map((buyer) => api(sales.url).post('/sales').set(buyer.auth).send({ itemId: item.id })));
    await sales.stop();

    const counts: Record<string, number> = {};
    for (const res of answers)
      counts[`${res.status} ${res.body.code ?? res.body.status}`] = (counts[`${res.status} ${res.body.code ?? res.body.status}`] ?? 0) + 1;
    expect(counts).toEqual({ '201 completed': 10, '409 insufficient_stock': 90 });
    expect(await stockOf(item.id)).toBe(0);
    expect((await api('inventory').get(`/items/${item.id}`)).body.stockCount).toBe(0);

    const ids = buyers.map((buyer) => buyer.id);
    const completed = await sql<{ customer_id: string; total: number }>(
      'sales',
      `SELECT s.customer_id::text, s.total_cents::int AS total FROM sales s JOIN sale_lines l ON l.sale_id = s.id WHERE l.item_id = $1 AND s.status = 'COMPLETED'`,
      [item.id],
    );
    expect(completed).toHaveLength(10);
    const pending = await sql('sales', `SELECT 1 FROM sales s JOIN sale_lines l ON l.sale_id = s.id WHERE l.item_id = $1 AND s.status = 'PENDING'`, [item.id]);
    expect(pending).toHaveLength(0);

    // Each buyer's balance = deposits − their completed sales, through the API and in the stored ledger.
    for (const buyer of buyers) {
      const spent = completed.filter((sale) => sale.customer_id === buyer.id).reduce((sum, sale) => sum + sale.total, 0);
      expect(await balanceOf(buyer)).toBe(deposit - spent);
    }
    // Money is conserved: what left the wallets is exactly what the completed sales are worth.
    const [wallets] = await sql('customers', 'SELECT sum(balance_cents)::int AS total FROM customers WHERE id = ANY($1::uuid[])', [ids]);
    expect(wallets.total).toBe(100 * deposit - 10 * price);
    const [movements] = await sql(
      'inventory',
      `SELECT coalesce(sum(-delta), 0)::int AS sold FROM stock_movements WHERE item_id = $1 AND kind IN ('reservation', 'release')`,
      [item.id],
    );
    expect(movements.sold).toBe(10);
  });
});
