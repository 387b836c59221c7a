import type { Db } from './db';

/**
 * Each customer's count of completed sales (customer_spend.completed_sales, kept by the sales trigger from migration
 * 20261207110000 on): GET /sales' total for a customer's own history, read by key instead of counted.
 */
export function saleCountsRepo(db: Db) {
  return {
    /** The customer's completed sales, when counted; undefined while the fill has not reached them (or no row). */
    async completedSales(customerId: string): Promise<number | undefined> {
      const [row] = await db.sql.query<{ n: bigint | null }>(`SELECT completed_sales AS n FROM customer_spend WHERE customer_id = $1::uuid`, customerId);
      return row?.n == null ? undefined : Number(row.n);
    },

    /** Counts up to `batch` customers not counted yet (fill_customer_sale_counts); how many it counted. */
    async fill(batch: number): Promise<number> {
      const [row] = await db.background.query<{ n: number }>(`SELECT fill_customer_sale_counts($1) AS n`, batch);
      return row?.n ?? 0;
    },
  };
}
