// Sale ids are time-ordered (UUIDv7, issue 23): the sale id keys sales, its lines and its idempotency key, its debit's
// reference in customers and its reservation in inventory, and a v7 id lands beside the last one in each of those
// indexes instead of on a random leaf page.
import { buy, buyerAndItem } from './support/shop';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const millisecondsOf = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

describe('POST /sales ids', () => {
  it('are UUIDv7s made when the purchase began, sorting in the order the sales were made', async () => {
    const { customer, item } = await buyerAndItem({ balanceCents: 10_000, stockCount: 10, priceCents: 100 });
    const sales: Array<{ id: string; createdAt: string }> = [];
    for (let i = 0; i < 3; i++) {
      const res = await buy(customer, item.id);
      expect(res.status).toBe(201);
      sales.push(res.body as { id: string; createdAt: string });
    }
    for (const sale of sales) {
      expect(sale.id).toMatch(V7);
      expect(millisecondsOf(sale.id)).toBeLessThanOrEqual(Date.parse(sale.createdAt));
    }
    const ids = sales.map((sale) => sale.id);
    expect([...ids].sort()).toEqual(ids);
  });
});
