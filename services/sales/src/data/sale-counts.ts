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

    /** Whether any customer is left to count (the partial index customer_spend_uncounted_idx). */
    async anyUncounted(): Promise<boolean> {
      const rows = await db.background.query(`SELECT 1 FROM customer_spend WHERE completed_sales IS NULL LIMIT 1`);
      return rows.length > 0;
    },

    /** Counts the uncounted among the next `batch` customers after `after`; the batch's last id, null past the end. */
    async fill(after: string, batch: number): Promise<string | null> {
      const [row] = await db.background.query<{ last: string | null }>(`SELECT fill_customer_sale_counts($1::uuid, $2)::text AS last`, after, batch);
      return row?.last ?? null;
    },
  };
}
