import type { Db } from './db';

/**
 * Failed-login counters in PostgreSQL, so every replica sees the same counts. A counter's window starts at
 * its first failure; a failure after the window has ended starts a new one.
 */
export function loginFailuresRepo(db: Db) {
  return {
    /** The current count and window end of each key that has one. */
    async read(keys: string[]): Promise<Map<string, { count: number; resetAt: Date }>> {
      const rows = await db.sql.query<{ key: string; hits: number; reset_at: Date }>(
        'SELECT key, hits, reset_at FROM rate_limit_hits WHERE key = ANY($1::text[]) AND reset_at > now()',
        keys,
      );
      return new Map(rows.map((row) => [row.key, { count: row.hits, resetAt: row.reset_at }]));
    },

    async record(keys: string[], windowMs: number): Promise<void> {
      await db.sql.execute(
        `INSERT INTO rate_limit_hits (key, hits, reset_at)
         SELECT k, 1, now() + $2 * interval '1 millisecond' FROM unnest($1::text[]) AS k
         ON CONFLICT (key) DO UPDATE SET
           hits = CASE WHEN rate_limit_hits.reset_at <= now() THEN 1 ELSE rate_limit_hits.hits + 1 END,
           reset_at = CASE WHEN rate_limit_hits.reset_at <= now() THEN EXCLUDED.reset_at ELSE rate_limit_hits.reset_at END`,
        keys,
        windowMs,
      );
    },
  };
}
export type LoginFailuresRepo = ReturnType<typeof loginFailuresRepo>;
