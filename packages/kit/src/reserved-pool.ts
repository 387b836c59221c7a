import { boundedPool, queryable, type DatabaseConfig, type Queryable } from './database';

/**
 * A small pool of its own, outside DATABASE_POOL_SIZE, for the statements that must never wait behind the
 * service's reads for a connection (inventory's stock reservations: a burst of catalogue reads must never
 * refuse a purchase). Made by the same factory as the main pool: the same bounds, the same fault when it is
 * exhausted, and its waiting requests on the same database_pool_waiting gauge.
 */
export function reservedPool(config: DatabaseConfig, size: number, onIdleError: (error: Error) => void): { sql: Queryable; close: () => Promise<void> } {
  const pool = boundedPool(config, size, onIdleError);
  return { sql: queryable(pool), close: () => pool.end() };
}
