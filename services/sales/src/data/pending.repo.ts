import type { Db } from './db';

/** Counted up to this many rows: a scrape's statement stays bounded however many sales are stuck. */
const CAP = 10_000;

export interface PendingFigures {
  count: number;
  /** Seconds since the oldest was created; 0 when none. */
  oldestAgeSeconds: number;
}

/**
 * Sales and refunds still PENDING, and the age of the oldest, for /metrics: each reads its partial index
 * (sales_pending_created_idx, refunds_pending_created_idx) in created_at order, at most CAP rows.
 */
export function pendingRepo(db: Db) {
  const figures = async (table: 'sales' | 'refunds'): Promise<PendingFigures> => {
    const [row] = await db.sql.query<{ count: number; age: number }>(
      `SELECT count(*)::int AS count, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age
       FROM (SELECT created_at FROM ${table} WHERE status = 'PENDING' ORDER BY created_at LIMIT ${CAP}) p`,
    );
    return { count: row!.count, oldestAgeSeconds: row!.age };
  };
  return { sales: () => figures('sales'), refunds: () => figures('refunds') };
}
