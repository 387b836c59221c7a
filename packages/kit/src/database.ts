import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

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
  close(): Promise<void>;
}

// Parse int8 as bigint (not pg's default string), as Prisma does, so money never passes through a float.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (value: string) => BigInt(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

function queryable(client: pg.Pool | pg.PoolClient): Queryable {
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

/**
 * One pg pool per service, handed to Prisma's adapter as well, so the ORM and the raw statements never hold
 * more connections than DATABASE_POOL_SIZE. A request waits at most 10 s for a free connection.
 */
export function createDatabase<C>(
  PrismaClient: new (options: { adapter: PrismaPg }) => C,
  url: string,
  poolSize: number,
  onIdleError: (error: Error) => void,
): Database<C> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 10_000 });
  // A connection that dies while idle (a database restart) is dropped from the pool; without a listener it would crash the process.
  pool.on('error', onIdleError);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const sql: Sql = {
    ...queryable(pool),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(queryable(client));
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (error) {
        // A connection whose ROLLBACK fails is broken: destroy it rather than return it to the pool.
        await client.query('ROLLBACK').then(
          () => client.release(),
          (rollbackError: Error) => client.release(rollbackError),
        );
        throw error;
      }
    },
  };
  return {
    prisma,
    sql,
    async close() {
      await (prisma as { $disconnect(): Promise<void> }).$disconnect();
      await pool.end();
    },
  };
}

/** Postgres error codes we act on, whether raised through Prisma or pg. */
export function pgErrorCode(error: unknown): string | undefined {
  const e = error as { code?: string; meta?: { code?: string }; cause?: { code?: string } };
  return e?.meta?.code ?? e?.cause?.code ?? e?.code;
}
