import { prepared } from '@shop/kit';
import type { PurchaseAttemptsRepo } from '../domain/model';
import type { Db } from './db';

/**
 * Counts an attempt unless the window already holds the limit ($2): one upsert, whose row lock orders concurrent
 * attempts. A refused attempt writes nothing (the conflict's WHERE leaves the row as it was, and no row is
 * answered), so a flood of refused attempts neither grows the table nor stretches the window. Every purchase runs
 * it: planned once per connection.
 */
export const TAKE_ATTEMPT = prepared(
  'purchase_attempts.take',
  `INSERT INTO purchase_attempts (customer_id, window_start, attempts) VALUES ($1::uuid, date_trunc('minute', now()), 1)
   ON CONFLICT (customer_id, window_start) DO UPDATE SET attempts = purchase_attempts.attempts + 1
   WHERE purchase_attempts.attempts < $2::int
   RETURNING attempts`,
);

/**
 * Purchase attempts per customer in fixed one-minute windows (the minute of the database's clock), one row per
 * (customer, window), so every replica counts in the same place.
 */
export function purchaseAttemptsRepo(db: Db): PurchaseAttemptsRepo {
  return {
    async take(customerId: string, limit: number) {
      const [row] = await db.sql.query<{ attempts: number }>(TAKE_ATTEMPT, customerId, limit);
      if (row) return { allowed: true as const };
      const [end] = await db.sql.query<{ seconds: number }>(
        `SELECT ceil(extract(epoch FROM date_trunc('minute', now()) + interval '1 minute' - now()))::int AS seconds`,
      );
      return { allowed: false as const, retryAfterSeconds: Math.max(1, end?.seconds ?? 60) };
    },
  };
}
