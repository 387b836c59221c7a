import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { databasePoolWaiting } from './kit-metrics';

/**
 * A statement PostgreSQL parses and plans once per connection (a named prepared statement), for the hot
 * paths: it halves the database's CPU for a primary-key lookup. Name its columns: a prepared `*` fails
 * ("cached plan must not change result type") once a migration adds a column under a running service.
 */
export interface Prepared {
  readonly name: string;
  readonly text: string;
}
export const prepared = (name: string, text: string): Prepared => ({ name, text });

/** Statements straight on the pg driver: the hot paths' SQL, with no ORM layer in between. */
export interface Queryable {
  /** The rows; int8 columns (money, counts) arrive as bigint. */
  query<T = Record<string, unknown>>(statement: string | Prepared, ...params: unknown[]): Promise<T[]>;
  /** The number of rows the statement changed. */
  execute(statement: string | Prepared, ...params: unknown[]): Promise<number>;
}

export interface Sql extends Queryable {
  /** BEGIN … COMMIT on one pooled connection; ROLLBACK when `work` throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
}

/** A service's database: Prisma (typed models, migrations) and `sql`, sharing one connection pool. */
export interface Database<C> {
  prisma: C;
  sql: Sql;
  /**
   * One connection of its own for background work (the webhook delivery worker), outside DATABASE_POOL_SIZE:
   * background work never takes a connection a request is waiting for.
   */
  background: Queryable;
  /** True when the database answers `SELECT 1` within DATABASE_READY_TIMEOUT_MS, on a connection of its own. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

// Parse int8 as bigint (not pg's default string), as Prisma does, so money never passes through a float.
const INT8: number = pg.types.builtins.INT8;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 ? (value: string) => BigInt(value) : (pg.types.getTypeParser(oid, format) as (value: string) => unknown)) as typeof pg.types.getTypeParser,
};

export function queryable(client: pg.Pool | pg.PoolClient): Queryable {
  const config = (statement: string | Prepared, values: unknown[]): pg.QueryConfig =>
    typeof statement === 'string' ? { text: statement, values, types } : { name: statement.name, text: statement.text, values, types };
  return {
    async query<T>(statement: string | Prepared, ...params: unknown[]) {
      return (await client.query(config(statement, params))).rows as T[];
    },
    async execute(statement: string | Prepared, ...params: unknown[]) {
      return (await client.query(config(statement, params))).rowCount ?? 0;
    },
  };
}

/** The database settings every service's config carries (see baseConfigSchema). */
export interface DatabaseConfig {
  DATABASE_URL: string;
  DATABASE_POOL_SIZE: number;
  DATABASE_ACQUIRE_TIMEOUT_MS: number;
  DATABASE_STATEMENT_TIMEOUT_MS: number;
  DATABASE_LOCK_TIMEOUT_MS: number;
  DATABASE_READY_TIMEOUT_MS: number;
}

/**
 * A pool of `size` connections with the service's bounds (DATABASE_ACQUIRE_TIMEOUT_MS to get a connection,
 * DATABASE_STATEMENT_TIMEOUT_MS per statement, DATABASE_LOCK_TIMEOUT_MS per lock), its waiting requests counted in
 * database_pool_waiting. The service's pool and inventory's stock pool (reserved-pool.ts) are both made here, so an
 * exhausted one fails the same way (pool_exhausted, database-faults.ts) and shows on the same gauge.
 */
export function boundedPool(config: DatabaseConfig, size: number, onIdleError: (error: Error) => void): pg.Pool {
  const pool = new pg.Pool({
    connectionString: config.DATABASE_URL,
    max: size,
    connectionTimeoutMillis: config.DATABASE_ACQUIRE_TIMEOUT_MS,
    statement_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS,
    lock_timeout: config.DATABASE_LOCK_TIMEOUT_MS,
  });
  // A connection that dies while idle (a database restart) is dropped from the pool; without a listener it would crash the process.
  pool.on('error', onIdleError);
  databasePoolWaiting.add({}, () => Promise.resolve(pool.waitingCount));
  return pool;
}

/**
 * One pg pool per service, handed to Prisma's adapter as well, so the ORM and the raw statements never hold
 * more connections than DATABASE_POOL_SIZE, and every connection carries the same bounds: a request waits at
 * most DATABASE_ACQUIRE_TIMEOUT_MS for a connection, a statement runs at most DATABASE_STATEMENT_TIMEOUT_MS
 * and waits at most DATABASE_LOCK_TIMEOUT_MS for a lock (a migration's or VACUUM FULL's ACCESS EXCLUSIVE),
 * so a slow or locked database turns into a quick 503 instead of a pile of waiting requests. Work that needs
 * longer (the sales sweep) raises its own limits with SET LOCAL inside its transaction.
 */
export function createDatabase<C>(
  PrismaClient: new (options: { adapter: PrismaPg }) => C,
  config: DatabaseConfig,
  onIdleError: (error: Error) => void,
): Database<C> {
  const pool = boundedPool(config, config.DATABASE_POOL_SIZE, onIdleError);
  // /ready's own connection, outside the pool: a full pool is load, not an outage, and must not take every
  // replica out of rotation at once. `SELECT 1` touches no table, so no lock can hold it. The connection is
  // kept open between probes (no idle timeout): on a busy machine a fresh connection alone can take longer
  // than the deadline, and the probe would report that as the database not answering.
  const probe = new pg.Pool({
    connectionString: config.DATABASE_URL,
    max: 1,
    idleTimeoutMillis: 0,
    connectionTimeoutMillis: config.DATABASE_READY_TIMEOUT_MS,
    statement_timeout: config.DATABASE_READY_TIMEOUT_MS,
  });
  probe.on('error', () => {}); // the next probe reconnects
  // Its commits do not wait for the WAL flush (synchronous_commit off): what it records is a delivery's progress,
  // and a crash that loses the last few marks only repeats a delivery, which at-least-once allows. Events
  // themselves are written by requests, on the pool above, durably.
  const background = new pg.Pool({
    connectionString: config.DATABASE_URL,
    options: '-c synchronous_commit=off',
    max: 1,
    connectionTimeoutMillis: config.DATABASE_ACQUIRE_TIMEOUT_MS,
    statement_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS,
    lock_timeout: config.DATABASE_LOCK_TIMEOUT_MS,
  });
  background.on('error', onIdleError);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const sql: Sql = {
    ...queryable(pool),
    async transaction(work) {
      const client = await pool.connect();
      // pg-pool listens for errors only on idle connections: one that dies while checked out but between
      // statements (the sweep holds its transaction across HTTP calls) would otherwise crash the process.
      // The next statement on it fails, and that error is the one that counts.
      const ignore = () => {};
      client.on('error', ignore);
      try {
        await client.query('BEGIN');
        const result = await work(queryable(client));
        await client.query('COMMIT');
        client.off('error', ignore);
        client.release();
        return result;
      } catch (error) {
        // A connection whose ROLLBACK fails is broken: destroy it (still ignoring its errors) rather than return it to the pool.
        await client.query('ROLLBACK').then(
          () => {
            client.off('error', ignore);
            client.release();
          },
          (rollbackError: Error) => client.release(rollbackError),
        );
        throw error;
      }
    },
  };
  return {
    prisma,
    sql,
    background: queryable(background),
    async ping() {
      let timer: NodeJS.Timeout | undefined;
      // The timer also covers a connection that hangs without an error (a host that vanished).
      const deadline = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), config.DATABASE_READY_TIMEOUT_MS)));
      const answer = probe.query('SELECT 1').then(
        () => true,
        () => false,
      );
      try {
        return await Promise.race([answer, deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await (prisma as { $disconnect(): Promise<void> }).$disconnect();
      await Promise.all([pool.end(), probe.end(), background.end()]);
    },
  };
}

/** A unique constraint refused the row: Prisma's P2002, or PostgreSQL's 23505 through pg or Prisma's adapter. */
export function isUniqueViolation(error: unknown): boolean {
  const code = pgErrorCode(error);
  return code === 'P2002' || code === '23505';
}

/**
 * A service's `connectDatabase`: its generated Prisma client and one pg pool, configured from its config.
 * Prisma for typed model queries, `sql` for the hand-written statements; one pool under both.
 */
export function databaseConnector<C>(PrismaClient: new (options: { adapter: PrismaPg }) => C) {
  return (config: DatabaseConfig, onIdleError: (error: Error) => void) => createDatabase(PrismaClient, config, onIdleError);
}

/** Postgres error codes we act on, whether raised through Prisma or pg. */
export function pgErrorCode(error: unknown): string | undefined {
  const e = error as { code?: string; meta?: { code?: string }; cause?: { code?: string } };
  return e?.meta?.code ?? e?.cause?.code ?? e?.code;
}
