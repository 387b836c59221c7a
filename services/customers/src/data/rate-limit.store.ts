import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import type { Db } from './db';

/**
 * express-rate-limit counters kept in PostgreSQL, so every replica sees the same failed-login counts.
 * One upsert per hit; a window that has ended starts over.
 */
export class PostgresRateLimitStore implements Store {
  private windowMs = 60_000;
  constructor(
    private readonly db: Db,
    readonly prefix: string,
  ) {}

  init(options: Options) {
    this.windowMs = options.windowMs;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const [row] = await this.db.$queryRawUnsafe<{ hits: number; reset_at: Date }[]>(
      `INSERT INTO rate_limit_hits (key, hits, reset_at) VALUES ($1, 1, now() + $2 * interval '1 millisecond')
       ON CONFLICT (key) DO UPDATE SET
         hits = CASE WHEN rate_limit_hits.reset_at <= now() THEN 1 ELSE rate_limit_hits.hits + 1 END,
         reset_at = CASE WHEN rate_limit_hits.reset_at <= now() THEN EXCLUDED.reset_at ELSE rate_limit_hits.reset_at END
       RETURNING hits, reset_at`,
      this.prefix + key,
      this.windowMs,
    );
    return { totalHits: row!.hits, resetTime: row!.reset_at };
  }

  async decrement(key: string): Promise<void> {
    await this.db.$executeRawUnsafe('UPDATE rate_limit_hits SET hits = greatest(hits - 1, 0) WHERE key = $1', this.prefix + key);
  }

  async resetKey(key: string): Promise<void> {
    await this.db.$executeRawUnsafe('DELETE FROM rate_limit_hits WHERE key = $1', this.prefix + key);
  }
}
