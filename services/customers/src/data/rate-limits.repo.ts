import type { Limit, RateLimitsRepo } from '../domain/model';
import type { Db } from './db';

/**
 * Attempt counters in PostgreSQL, so every replica sees the same counts. A counter's window starts at its
 * first attempt; an attempt after the window has ended starts a new one. Counters whose window has ended are
 * deleted on a timer by retention (data/retention.ts, by the reset_at index).
 */
export function rateLimitsRepo(db: Db): RateLimitsRepo {
  return {
    /**
     * One statement: `full` finds a limit that is already used up (then nothing is written: a flood of refused
     * attempts adds no row and no row version); otherwise every counted key takes its attempt, and a count
     * past its max (attempts racing for the last place) refuses it. The upsert's row locks order concurrent
     * attempts, so no two can see the same count; keys are locked in key order here and in `refund`, so two
     * statements on the same keys cannot deadlock. Keys are compared inside the database only.
     */
    async take(count: Limit[], check: Limit[], windowMs: number): Promise<{ resetAt: Date } | undefined> {
      const limits = [...count.map((limit) => ({ ...limit, counted: true })), ...check.map((limit) => ({ ...limit, counted: false }))];
      const [row] = await db.sql.query<{ reset_at: Date }>(
        `WITH input AS (SELECT * FROM unnest($1::text[], $2::int[], $3::bool[]) AS i(key, max, counted)),
         full_limit AS (
           SELECT r.reset_at FROM rate_limit_hits r JOIN input i ON r.key = i.key
           WHERE r.reset_at > now() AND r.hits >= i.max),
         counted AS (
           INSERT INTO rate_limit_hits (key, hits, reset_at)
           SELECT key, 1, now() + $4 * interval '1 millisecond' FROM input
           WHERE counted AND NOT EXISTS (SELECT 1 FROM full_limit) ORDER BY key
           ON CONFLICT (key) DO UPDATE SET
             hits = CASE WHEN rate_limit_hits.reset_at <= now() THEN 1 ELSE rate_limit_hits.hits + 1 END,
             reset_at = CASE WHEN rate_limit_hits.reset_at <= now() THEN EXCLUDED.reset_at ELSE rate_limit_hits.reset_at END
           RETURNING key, hits, reset_at)
         SELECT max(reset_at) AS reset_at FROM (
           SELECT reset_at FROM full_limit
           UNION ALL
           SELECT c.reset_at FROM counted c JOIN input i ON i.key = c.key WHERE c.hits > i.max) refused
         HAVING count(*) > 0`,
        limits.map((limit) => limit.key),
        limits.map((limit) => limit.max),
        limits.map((limit) => limit.counted),
        windowMs,
      );
      return row && { resetAt: row.reset_at };
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
