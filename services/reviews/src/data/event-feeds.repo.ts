import type { EventFeedRepo, HandleOutcome, RefundToHandle } from '../domain/model';
import type { Db } from './db';
import { recountReporter } from './reports.repo';

/** The feeds reviews reads (event_feeds), the event ids it handled (consumed_events) and each event's effects. */
export function eventFeedsRepo(db: Db): EventFeedRepo {
  return {
    /** One statement: free (or expired, or already ours) → ours until now + leaseMs. */
    async claim(feed: string, owner: string, leaseMs: number) {
      const [row] = await db.sql.query<{ cursor: string | null }>(
        `UPDATE event_feeds SET leased_by = $2::uuid, leased_until = now() + make_interval(secs => $3::double precision / 1000)
         WHERE name = $1 AND (leased_by IS NULL OR leased_by = $2::uuid OR leased_until < now())
         RETURNING cursor`,
        feed,
        owner,
        leaseMs,
      );
      return row && { cursor: row.cursor };
    },

    handleRefund(lease: { feed: string; owner: string; from: string | null; leaseMs: number }, event: RefundToHandle, threshold: number) {
      return db.sql.transaction(async (tx): Promise<HandleOutcome> => {
        // Compare-and-set on the cursor under our lease: a replica that lost its lease (it stalled past it and
        // another took over) changes nothing, and the whole transaction is rolled back.
        const moved = await tx.execute(
          `UPDATE event_feeds SET cursor = $4, handled = handled + 1, updated_at = now(),
             leased_until = now() + make_interval(secs => $5::double precision / 1000)
           WHERE name = $1 AND leased_by = $2::uuid AND cursor IS NOT DISTINCT FROM $3`,
          lease.feed,
          lease.owner,
          lease.from,
          event.cursor,
          lease.leaseMs,
        );
        if (!moved) return 'lease_lost';
        const fresh = await tx.execute(
          'INSERT INTO consumed_events (event_id, feed) VALUES ($1::uuid, $2) ON CONFLICT (event_id) DO NOTHING',
          event.eventId,
          lease.feed,
        );
        if (!fresh) {
          await tx.execute('UPDATE event_feeds SET handled = handled - 1 WHERE name = $1', lease.feed);
          return 'already_handled';
        }
        if (event.customerId === null) return 'handled';
        await recountReporter(tx, event.customerId, event.spendOk, threshold);
        for (const purchase of event.purchases) {
          await tx.execute(
            `UPDATE reviews SET verified_purchase = $3, purchase_checked = true,
               updated_at = CASE WHEN verified_purchase = $3 THEN updated_at ELSE now() END
             WHERE customer_id = $1::uuid AND item_id = $2::uuid`,
            event.customerId,
            purchase.itemId,
            purchase.verified,
          );
        }
        return 'handled';
      });
    },

    async release(feed: string, owner: string) {
      await db.sql.execute('UPDATE event_feeds SET leased_by = NULL, leased_until = NULL WHERE name = $1 AND leased_by = $2::uuid', feed, owner);
    },

    /** Oldest first by the age index, SKIP LOCKED so replicas purging at once never wait for each other. */
    purgeHandled(olderThanDays: number, batch: number) {
      return db.sql.execute(
        `DELETE FROM consumed_events WHERE event_id IN (
           SELECT event_id FROM consumed_events WHERE consumed_at < now() - make_interval(days => $1::int)
           ORDER BY consumed_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        olderThanDays,
        batch,
      );
    },
  };
}
