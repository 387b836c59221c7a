import type { Queryable } from '../database';
import { outboxBacklog, outboxOldestAge, sharedRead } from '../kit-metrics';

/** Counted up to this many rows: the scrape's statements stay bounded however large a backlog grows. */
const CAP = 10_000;

// Each reads a partial index (outbox_events_undispatched_idx, webhook_deliveries_due_idx) and at most CAP rows.
const STAGES = {
  fan_out: `SELECT count(*)::int AS n, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age
            FROM (SELECT created_at FROM outbox_events WHERE dispatched_at IS NULL ORDER BY seq LIMIT ${CAP}) o`,
  delivery: `SELECT count(*)::int AS n, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS age
             FROM (SELECT created_at FROM webhook_deliveries WHERE status = 'pending' LIMIT ${CAP}) d`,
};

/**
 * The outbox's backlog and the age of its oldest entry, read at scrape time: per stage, one statement shared by
 * the two gauges (a scrape reads both within a second). The database down leaves them out of that scrape.
 */
export function observeBacklog(sql: Queryable): void {
  for (const [stage, statement] of Object.entries(STAGES)) {
    const read = sharedRead(async () => (await sql.query<{ n: number; age: number }>(statement))[0]);
    outboxBacklog.add({ stage }, async () => (await read())?.n);
    outboxOldestAge.add({ stage }, async () => (await read())?.age);
  }
}
