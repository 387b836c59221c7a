import type { Queryable } from '../database';

/** What the retention runner prunes in one table: a batch at a time, and how many rows are waiting. */
export interface PruneRule {
  /** The table (the metrics' label). */
  table: string;
  /** Deletes at most `limit` prunable rows, oldest first; the number deleted. */
  prune(limit: number): Promise<number>;
  /** Prunable rows now, counted up to `cap` (a capped count by the same index, never the whole table). */
  backlog(cap: number): Promise<number>;
}

/**
 * A rule from its predicate: each batch deletes the oldest `limit` rows that match, by the index on `orderBy`,
 * locking them FOR UPDATE SKIP LOCKED so replicas pruning at once take different rows and no request waits on a
 * prune (a row a request holds is skipped, and taken at the next pass). `params` follow the limit ($2, $3…).
 * `key` must identify a row in the statement (ctid by default: a TID scan, whatever the primary key).
 * `backlogWhere` (default `where`) is what the backlog gauge counts: a cheaper predicate on the same index, when
 * `where` costs a lookup per row.
 */
export function pruneRule(
  sql: Queryable,
  rule: { table: string; where: string; orderBy: string; params?: unknown[]; key?: string; backlogWhere?: string },
): PruneRule {
  const key = rule.key ?? 'ctid';
  const params = rule.params ?? [];
  const oldest = `SELECT ${key} FROM ${rule.table} WHERE ${rule.where} ORDER BY ${rule.orderBy}`;
  const waiting = `SELECT 1 FROM ${rule.table} WHERE ${rule.backlogWhere ?? rule.where} ORDER BY ${rule.orderBy}`;
  return {
    table: rule.table,
    prune: (limit) => sql.execute(`DELETE FROM ${rule.table} WHERE ${key} = ANY(ARRAY(${oldest} LIMIT $1 FOR UPDATE SKIP LOCKED))`, limit, ...params),
    async backlog(cap) {
      const [row] = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${waiting} LIMIT $1) AS prunable`, cap, ...params);
      return row?.n ?? 0;
    },
  };
}

/**
 * The outbox and the webhook deliveries (the same tables in every service): delivered and finally failed
 * deliveries once their event is `days` old, and dispatched events as old, unless a delivery of theirs is still
 * pending (an admin's retry of a failed one). Deleting an event deletes its deliveries (ON DELETE CASCADE).
 */
export function webhookPruneRules(sql: Queryable, days: number): PruneRule[] {
  return [
    pruneRule(sql, {
      table: 'webhook_deliveries',
      where: `status <> 'pending' AND created_at < now() - make_interval(days => $2::int)`,
      orderBy: 'created_at',
      params: [days],
    }),
    pruneRule(sql, {
      table: 'outbox_events',
      where: `dispatched_at < now() - make_interval(days => $2::int)
        AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = outbox_events.id AND d.status = 'pending')`,
      orderBy: 'dispatched_at',
      params: [days],
      // The pending-delivery check costs an index probe per event (4.6 s for 100,000 at a million rows): the
      // gauge counts the old dispatched events alone (an event with a pending delivery is rare).
      backlogWhere: 'dispatched_at < now() - make_interval(days => $2::int)',
    }),
  ];
}
