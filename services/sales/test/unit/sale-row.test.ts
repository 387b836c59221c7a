// The one mapping of a stored sale to the Sale clients see: amounts from PostgreSQL's bigint text, the v1
// top-level fields for one-line sales only, and the status from what was refunded.
import { toSale, type SaleRow } from '../../src/data/sale-row';

const at = new Date('2026-11-30T08:00:00.000Z');
const line = (itemId: string, unitPriceCents: number | null, quantity: number, refundedQuantity = 0) => ({
  itemId,
  itemName: unitPriceCents === null ? null : `name of ${itemId}`,
  unitPriceCents,
  quantity,
  refundedQuantity,
});
const row = (lines: SaleRow['lines'], total: string, refunded: string): SaleRow => ({
  id: 's-1',
  customer_id: 'c-1',
  username: 'alice',
  total_cents: total,
  refunded_cents: refunded,
  created_at: at,
  updated_at: at,
  lines,
});

describe('toSale', () => {
  it('gives a one-line sale the v1 fields at the top level, and a basket none', () => {
    const one = toSale(row([line('a', 250, 2)], '500', '0'));
    expect(one).toMatchObject({ itemId: 'a', itemName: 'name of a', unitPriceCents: 250, quantity: 2, totalCents: 500, status: 'completed' });
    expect(one.lines).toEqual([{ itemId: 'a', itemName: 'name of a', unitPriceCents: 250, quantity: 2, totalCents: 500, refundedQuantity: 0 }]);
    const basket = toSale(row([line('a', 100, 1), line('b', 40, 3)], '220', '0'));
    expect(basket).not.toHaveProperty('itemId');
    expect(basket.lines.map((l) => l.totalCents)).toEqual([100, 120]);
    expect(basket.createdAt).toBe('2026-11-30T08:00:00.000Z');
  });

  it('says completed, partially_refunded or refunded from the refunded amount', () => {
    expect(toSale(row([line('a', 100, 3, 1)], '300', '100')).status).toBe('partially_refunded');
    expect(toSale(row([line('a', 100, 3, 3)], '300', '300')).status).toBe('refunded');
    expect(toSale(row([line('a', 100, 3)], '300', '0')).status).toBe('completed');
  });
});
