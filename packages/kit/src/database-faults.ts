import { reportInWindows } from './fault-windows';
import { databaseFaults } from './kit-metrics';
import type { Logger } from './logging';

/**
 * A database error that is not the request's fault nor a bug: the database is down, restarting, out of
 * connections, or too slow (our own statement, lock or pool-acquire timeout). The answer is 503 with
 * Retry-After, and the client may try again.
 *
 * `outcome` says what became of the statement: `not_run` when it certainly did not take effect (the
 * connection was never had, or PostgreSQL cancelled the statement, which rolls it back); `unknown` when the
 * connection died while the statement (or its COMMIT) was in flight, so it may or may not have committed.
 */
export interface DatabaseFault {
  cause: DatabaseFaultCause;
  outcome: 'not_run' | 'unknown';
  /** Seconds a client should wait before trying again. */
  retryAfterSeconds: number;
}

export type DatabaseFaultCause =
  'unreachable' | 'connection_lost' | 'starting_or_stopping' | 'too_many_connections' | 'pool_exhausted' | 'statement_timeout' | 'lock_timeout';

const FAULTS: Record<DatabaseFaultCause, Omit<DatabaseFault, 'cause'>> = {
  unreachable: { outcome: 'not_run', retryAfterSeconds: 5 },
  connection_lost: { outcome: 'unknown', retryAfterSeconds: 5 },
  starting_or_stopping: { outcome: 'not_run', retryAfterSeconds: 5 },
  too_many_connections: { outcome: 'not_run', retryAfterSeconds: 2 },
  pool_exhausted: { outcome: 'not_run', retryAfterSeconds: 1 },
  statement_timeout: { outcome: 'not_run', retryAfterSeconds: 1 },
  lock_timeout: { outcome: 'not_run', retryAfterSeconds: 1 },
};
// Every cause on /metrics from the start, at 0, so an alert's rate() sees the first fault.
for (const cause of Object.keys(FAULTS)) databaseFaults.inc({ cause }, 0);

// PostgreSQL SQLSTATEs. 57P01/57P02 end the session mid-statement (admin or crash shutdown); 57P03 refuses a
// new session while the server starts or stops; class 08 is a broken connection.
const BY_SQLSTATE: Record<string, DatabaseFaultCause> = {
  '57P01': 'connection_lost',
  '57P02': 'connection_lost',
  '57P03': 'starting_or_stopping',
  '53300': 'too_many_connections',
  '57014': 'statement_timeout',
  '55P03': 'lock_timeout',
};
// Socket errors (pg passes Node's errno codes through) and what @prisma/adapter-pg turns them into.
const BY_CODE: Record<string, DatabaseFaultCause> = {
  ECONNREFUSED: 'unreachable',
  ENOTFOUND: 'unreachable',
  EAI_AGAIN: 'unreachable',
  EHOSTUNREACH: 'unreachable',
  ECONNRESET: 'connection_lost',
  EPIPE: 'connection_lost',
  ETIMEDOUT: 'connection_lost',
  DatabaseNotReachable: 'unreachable',
  ConnectionClosed: 'connection_lost',
  SocketTimeout: 'connection_lost',
  TooManyConnections: 'too_many_connections',
  // Prisma's own codes for the same things: can't reach, timed out, server closed the connection, pool timeout.
  P1001: 'unreachable',
  P1008: 'connection_lost',
  P1017: 'connection_lost',
  P2024: 'pool_exhausted',
  P2037: 'too_many_connections',
};
// pg and pg-pool raise these as plain Errors, without a code.
const BY_MESSAGE: Array<[RegExp, DatabaseFaultCause]> = [
  [/timeout exceeded when trying to connect/i, 'pool_exhausted'],
  [/Connection terminated due to connection timeout/i, 'unreachable'],
  [/Connection terminated|connection error and is not queryable|not queryable/i, 'connection_lost'],
];

/** Every code an error carries, whether pg threw it or Prisma wrapped it (a DriverAdapterError, or its meta). */
function codes(error: unknown): string[] {
  const found: string[] = [];
  const visit = (value: unknown, depth: number) => {
    if (!value || typeof value !== 'object' || depth > 4) return;
    const e = value as Record<string, unknown>;
    for (const key of ['code', 'originalCode', 'kind']) if (typeof e[key] === 'string') found.push(e[key]);
    visit(e.cause, depth + 1);
    visit(e.meta, depth + 1);
    visit(e.driverAdapterError, depth + 1);
  };
  visit(error, 0);
  return found;
}

/** What kind of database fault `error` is, or undefined for anything else (a constraint violation, a bug). */
export function databaseFault(error: unknown): DatabaseFault | undefined {
  const all = codes(error);
  let cause = all
    .map((code) => BY_SQLSTATE[code] ?? BY_CODE[code] ?? (code.startsWith('08') && code.length === 5 ? 'connection_lost' : undefined))
    .find(Boolean);
  if (!cause && error instanceof Error) cause = BY_MESSAGE.find(([pattern]) => pattern.test(error.message))?.[1];
  return cause && { cause, ...FAULTS[cause] };
}

/** One line per cause and window (fault-windows.ts), with the first fault's error. */
export function reportDatabaseFault(logger: Logger, fault: DatabaseFault, error: unknown): void {
  databaseFaults.inc({ cause: fault.cause });
  reportInWindows(
    logger,
    `database:${fault.cause}`,
    { cause: fault.cause },
    { err: error, message: 'database fault: answering 503 while it lasts' },
    'database fault continues',
  );
}

/**
 * Runs a start-up step until the database lets it through. Started beside its database (docker-compose,
 * Kubernetes), a service may find it still starting, or its host name not yet in the network's DNS; it
 * waits (backing off to 5 s, one log line per try) instead of exiting into a restart loop. Anything that is
 * not a database fault (a wrong password, a bug) is thrown at once.
 */
export async function untilDatabaseAnswers<T>(what: string, step: () => Promise<T>, logger: Logger): Promise<T> {
  for (let delayMs = 250; ; delayMs = Math.min(delayMs * 2, 5_000)) {
    try {
      return await step();
    } catch (error) {
      const fault = databaseFault(error);
      if (!fault) throw error;
      logger.warn({ cause: fault.cause, err: error, retryInMs: delayMs }, `${what}: the database is not answering yet; trying again`);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
