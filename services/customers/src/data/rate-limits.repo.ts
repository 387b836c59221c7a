import type { RateLimitsRepo } from '../domain/model';
import type { Db } from './db';

/**
 * Attempt counters in PostgreSQL, so every replica sees the same counts. A counter's window starts at its
 * first attempt; an attempt after the window has ended starts a new one.
 */
export function rateLimitsRepo(db: Db): RateLimitsRepo {
  return {
    /**
     * Counts one attempt on each key and answers the counts including it, in one statement: the row lock of
     * the upsert orders concurrent attempts, so no two of them can see the same count. Rows are locked in key
     * order here and in `refund`, so two statements on the same keys cannot deadlock.
     */
    async hit(keys: string[], windowMs: number): Promise<Map<string, { count: number; resetAt: Date }>> {
      const rows = await db.sql.query<{ key: string; hits: number; reset_at: Date }>(
        `INSERT INTO rate_limit_hits (key, hits, reset_at)
         SELECT k, 1, now() + $2 * interval '1 millisecond' FROM unnest($1::text[]) AS k ORDER BY k
         ON CONFLICT (key) DO UPDATE SET
           hits = CASE WHEN rate_limit_hits.reset_at <= now() THEN 1 ELSE rate_limit_hits.hits + 1 END,
           reset_at = CASE WHEN rate_limit_hits.reset_at <= now() THEN EXCLUDED.reset_at ELSE rate_limit_hits.reset_at END
         RETURNING key, hits, reset_at`,
        keys,
        windowMs,
      );
      return new Map(rows.map((row) => [row.key, { count: row.hits, resetAt: row.reset_at }]));
    },

    /** Takes one attempt back (it succeeded, and only failures are meant to count). */
    async refund(keys: string[]): Promise<void> {
      await db.sql.execute(
        `UPDATE rate_limit_hits SET hits = hits - 1
         WHERE key IN (SELECT key FROM rate_limit_hits WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE) AND hits > 0 AND reset_at > now()`,
        keys,
      );
    },
  };
}
