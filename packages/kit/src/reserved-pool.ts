import pg from 'pg';
import { queryable, type DatabaseConfig, type Queryable } from './database';

/**
 * A small pool of its own, outside DATABASE_POOL_SIZE, for the statements that must never wait behind the
 * service's reads for a connection (inventory's stock reservations: a burst of catalogue reads must never
 * refuse a purchase). Same bounds as the main pool: DATABASE_ACQUIRE_TIMEOUT_MS to get a connection,
 * DATABASE_STATEMENT_TIMEOUT_MS per statement, DATABASE_LOCK_TIMEOUT_MS per lock.
 */
export function reservedPool(config: DatabaseConfig, size: number, onIdleError: (error: Error) => void): { sql: Queryable; close: () => Promise<void> } {
  const pool = new pg.Pool({
    connectionString: config.DATABASE_URL,
    max: size,
    connectionTimeoutMillis: config.DATABASE_ACQUIRE_TIMEOUT_MS,
    statement_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS,
    lock_timeout: config.DATABASE_LOCK_TIMEOUT_MS,
  });
  pool.on('error', onIdleError);
  return { sql: queryable(pool), close: () => pool.end() };
}
