// The unit layer under test/database-faults.test.ts: which errors are database faults (503) and which are not,
// in the shapes pg and Prisma (6.19 with @prisma/adapter-pg) really raise them (recorded from a live
// PostgreSQL), including the ones the real-fault tests cannot provoke here (53300, a crash shutdown).
import { databaseFault, reportDatabaseFault } from '../packages/kit/src/database-faults';
import type { Logger } from '../packages/kit/src/logging';
import { toAppError } from '../packages/kit/src/problem';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code, severity: 'ERROR' });
const socketError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, syscall: 'connect', errno: -111 });
/** What Prisma throws for a model query whose driver failed. */
const prismaKnown = (prismaCode: string, cause: Record<string, unknown>) =>
  Object.assign(new Error('Invalid `prisma.item.findMany()` invocation'), {
    code: prismaCode,
    meta: { driverAdapterError: { name: 'DriverAdapterError', cause } },
  });
/** What Prisma rethrows as is for some queries: the adapter's error, its cause the converted driver error. */
const driverAdapterError = (cause: Record<string, unknown>) =>
  Object.assign(new Error(String(cause.originalMessage ?? cause.kind)), { name: 'DriverAdapterError', cause });

describe('databaseFault', () => {
  it.each([
    ['pg: connection refused', 'unreachable', 'not_run', socketError('ECONNREFUSED')],
    ['pg: connection reset', 'connection_lost', 'unknown', socketError('ECONNRESET')],
    ['pg: terminated', 'connection_lost', 'unknown', new Error('Connection terminated unexpectedly')],
    ['pg: connect timeout', 'unreachable', 'not_run', new Error('Connection terminated due to connection timeout')],
    ['pg: pool acquire timeout', 'pool_exhausted', 'not_run', new Error('timeout exceeded when trying to connect')],
    ['pg: 57P01 admin shutdown', 'connection_lost', 'unknown', pgError('57P01')],
    ['pg: 57P02 crash shutdown', 'connection_lost', 'unknown', pgError('57P02')],
    ['pg: 57P03 cannot connect now', 'starting_or_stopping', 'not_run', pgError('57P03')],
    ['pg: 53300 too many connections', 'too_many_connections', 'not_run', pgError('53300')],
    ['pg: 57014 statement timeout', 'statement_timeout', 'not_run', pgError('57014')],
    ['pg: 55P03 lock timeout', 'lock_timeout', 'not_run', pgError('55P03')],
    ['pg: 08006 connection failure', 'connection_lost', 'unknown', pgError('08006')],
    ['Prisma P1001 (model query, refused)', 'unreachable', 'not_run', prismaKnown('P1001', { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 })],
    ['Prisma P2010 (raw query, refused)', 'unreachable', 'not_run', prismaKnown('P2010', { kind: 'DatabaseNotReachable' })],
    ['Prisma P2010 wrapping 57P01', 'connection_lost', 'unknown', prismaKnown('P2010', { originalCode: '57P01', kind: 'postgres', code: '57P01' })],
    ['Prisma P2010 wrapping 57014', 'statement_timeout', 'not_run', prismaKnown('P2010', { originalCode: '57014', kind: 'postgres', code: '57014' })],
    ['Prisma TooManyConnections', 'too_many_connections', 'not_run', prismaKnown('P2037', { kind: 'TooManyConnections', originalCode: '53300' })],
    [
      'DriverAdapterError wrapping 55P03',
      'lock_timeout',
      'not_run',
      driverAdapterError({ originalCode: '55P03', originalMessage: 'canceling statement due to lock timeout', kind: 'postgres', code: '55P03' }),
    ],
    ['DriverAdapterError ConnectionClosed', 'connection_lost', 'unknown', driverAdapterError({ kind: 'ConnectionClosed' })],
  ])('%s → %s (%s)', (_what, cause, outcome, error) => {
    expect(databaseFault(error)).toMatchObject({ cause, outcome });
    const answer = toAppError(error);
    expect([answer.status, answer.code, Number(answer.headers?.['Retry-After']) > 0]).toEqual([503, 'service_unavailable', true]);
  });

  it.each([
    ['a unique violation (pg)', 500, pgError('23505')],
    ['a unique violation (Prisma)', 409, Object.assign(new Error('Unique constraint failed'), { code: 'P2002' })],
    ['a record not found (Prisma)', 404, Object.assign(new Error('No record'), { code: 'P2025' })],
    ['a check violation', 500, pgError('23514')],
    ['a syntax error in our SQL', 500, pgError('42601')],
    ['a bug', 500, new TypeError("Cannot read properties of undefined (reading 'id')")],
  ])('%s is no database fault: it keeps its answer (%s)', (_what, status, error) => {
    expect(databaseFault(error)).toBeUndefined();
    expect(toAppError(error).status).toBe(status);
  });
});

describe('reportDatabaseFault', () => {
  it('logs a burst of 600 identical faults as one line, then one line with the count per window', () => {
    jest.useFakeTimers();
    try {
      const lines: Array<Record<string, unknown>> = [];
      const logger = { error: (fields: Record<string, unknown>, msg: string) => lines.push({ ...fields, msg }) } as unknown as Logger;
      const fault = databaseFault(socketError('ECONNREFUSED'))!;
      for (let i = 0; i < 600; i++) reportDatabaseFault(logger, fault, socketError('ECONNREFUSED'));
      expect(lines.map((l) => [l.cause, l.msg])).toEqual([['unreachable', 'database fault: answering 503 while it lasts']]);
      jest.advanceTimersByTime(10_000);
      expect(lines.slice(1).map((l) => [l.cause, l.count])).toEqual([['unreachable', 599]]);
      // Quiet for a window: the cause closes, and the next fault is news again.
      jest.advanceTimersByTime(10_000);
      expect(lines).toHaveLength(2);
      reportDatabaseFault(logger, fault, socketError('ECONNREFUSED'));
      expect(lines).toHaveLength(3);
    } finally {
      jest.useRealTimers();
    }
  });
});
