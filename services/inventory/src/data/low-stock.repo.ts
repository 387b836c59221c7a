import type { Db } from './db';

/**
 * How many live items are at or below their low-stock threshold, for /metrics (the stock alert). An index-only
 * count over the partial index items_low_stock_idx, whose rows are exactly those items.
 */
export async function lowStockCount(db: Db): Promise<number> {
  const [row] = await db.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM items WHERE deleted_at IS NULL AND low_stock');
  return row!.n;
}
