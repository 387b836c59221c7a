import type { EventFeedRepo, FeedEvent } from '../domain/model';
import type { Db } from './db';

/**
 * The outbox as a feed, in commit order. A row's `xid` is its writing transaction's id; the feed answers only rows
 * of transactions older than the oldest one still running (pg_snapshot_xmin of this statement's snapshot), so
 * every row it will ever answer later has a larger xid than any it answered before: the cursor (xid, id) never
 * passes an event that commits afterwards, as a bigserial would. One index range scan on (type, xid, id).
 * A refund's buyer comes from its refund row (primary key lookup), as the event's public Refund does not carry it.
 */
export const EVENTS_AFTER = `SELECT e.id, e.type, e.created_at, e.xid::text AS xid, e.data::text AS data, e.traceparent, r.customer_id
  FROM outbox_events e
  LEFT JOIN refunds r ON e.type = 'refund.completed' AND r.id = (e.data->>'id')::uuid
  WHERE e.type = $1 AND (e.xid, e.id) > ($2::xid8, $3::uuid)
    AND e.xid < pg_snapshot_xmin(pg_current_snapshot())
  ORDER BY e.xid, e.id LIMIT $4`;

export function eventFeedRepo(db: Db): EventFeedRepo {
  return {
    async after(type: string, after: { xid: string; id: string } | undefined, limit: number): Promise<FeedEvent[]> {
      const rows = await db.sql.query<{
        id: string;
        type: string;
        created_at: Date;
        xid: string;
        data: string;
        traceparent: string | null;
        customer_id: string | null;
      }>(EVENTS_AFTER, type, after?.xid ?? '0', after?.id ?? '00000000-0000-0000-0000-000000000000', limit);
      return rows.map((row) => ({
        id: row.id,
        type: row.type,
        createdAt: row.created_at.toISOString(),
        customerId: row.customer_id,
        data: JSON.parse(row.data) as unknown,
        cursor: `${row.xid}.${row.id}`,
        traceparent: row.traceparent,
      }));
    },

    async netSpendCents(customerId: string): Promise<number> {
      const [row] = await db.sql.query<{ net_cents: bigint }>('SELECT net_cents FROM customer_spend WHERE customer_id = $1::uuid', customerId);
      return Number(row?.net_cents ?? 0n);
    },
  };
}
