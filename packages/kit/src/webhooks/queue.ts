import { prepared, type Queryable } from '../database';
import { currentTraceparent } from '../spans';
import { CLAIM_SQL, FAN_OUT_SQL } from './queue-sql';

// The outbox and the delivery worker's statements: each is one statement, so each is atomic, and SKIP LOCKED
// lets replicas work side by side.

/** A delivery claimed for one attempt, with what it needs to be sent. */
export interface Claimed {
  id: string;
  attempts: number;
  url: string;
  secret: string;
  eventId: string;
  /** The request body, built once from the stored event so every attempt sends the same bytes. */
  body: string;
  /** The span that wrote the event, when it was traced: the delivery's span links to it. */
  traceparent: string | null;
}

/** Prepared: every request that changes something writes one (and its span is named `outbox.insert`). */
const INSERT_EVENT = prepared('outbox.insert', 'INSERT INTO outbox_events (id, type, data, traceparent) VALUES (uuid_v7(), $1, $2::json, $3)');

/**
 * The outbox row, written with the change that causes it (same transaction, or the same statement). `data` is
 * stored as `json`, which keeps the text as written: the delivered body is the resource exactly as serialised.
 * Its id (and each delivery's) is a UUIDv7, time-ordered, so the outbox's and the deliveries' indexes grow at
 * their right-hand edge (migration 20261207000000_retention).
 */
export async function insertEvent(q: Queryable, type: string, data: unknown): Promise<void> {
  await q.execute(INSERT_EVENT, type, JSON.stringify(data), currentTraceparent() ?? null);
}

/** The worker's statements over the outbox and the deliveries. */
export function deliveryQueue(sql: Queryable) {
  return {
    /**
     * Fans the oldest undispatched events out to the active subscriptions that want them, one delivery row
     * per (subscription, event), and marks the events dispatched, in one statement. SKIP LOCKED lets replicas
     * fan out different events at once. The number of events dispatched.
     */
    async fanOut(limit: number, giveUpAfterMs: number): Promise<number> {
      return sql.execute(FAN_OUT_SQL, limit, giveUpAfterMs);
    },

    /**
     * Claims due deliveries of active subscriptions for one attempt each: counts the attempt and leases the
     * row (next_attempt_at moves past the attempt's end), in one statement; SKIP LOCKED keeps replicas from
     * claiming the same row. A process that dies mid-attempt leaves the lease to run out: the delivery is due
     * again then, here or on another replica.
     */
    async claim(limit: number, leaseMs: number): Promise<Claimed[]> {
      const rows = await sql.query<{ id: string; attempts: number; url: string; secret: string; event_id: string; body: string; traceparent: string | null }>(
        CLAIM_SQL,
        limit,
        leaseMs,
      );
      return rows.map((row) => ({
        id: row.id,
        attempts: row.attempts,
        url: row.url,
        secret: row.secret,
        eventId: row.event_id,
        body: row.body,
        traceparent: row.traceparent,
      }));
    },

    async delivered(id: string, statusCode: number): Promise<void> {
      await sql.execute(
        `UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(), last_status_code = $2, last_error = NULL, next_attempt_at = NULL
         WHERE id = $1::uuid AND status = 'pending'`,
        id,
        statusCode,
      );
    },

    /**
     * A failed attempt: due again after `delayMs` (but not after its give-up time, so the last attempt falls on
     * it), or failed once that time has passed. Only the attempt that holds the lease (its count) writes.
     */
    async attemptFailed(id: string, attempts: number, outcome: { statusCode: number | null; error: string }, delayMs: number): Promise<void> {
      await sql.execute(
        `UPDATE webhook_deliveries SET last_status_code = $3, last_error = $4,
           status = CASE WHEN now() >= give_up_at THEN 'failed'::"WebhookDeliveryStatus" ELSE 'pending' END,
           next_attempt_at = CASE WHEN now() >= give_up_at THEN NULL
             ELSE least(now() + make_interval(secs => $5::double precision / 1000), give_up_at) END
         WHERE id = $1::uuid AND attempts = $2 AND status = 'pending'`,
        id,
        attempts,
        outcome.statusCode,
        outcome.error.slice(0, 300),
        delayMs,
      );
    },

    /** A 410 Gone: this delivery fails and the subscription is switched off, in one statement. */
    async gone(id: string): Promise<void> {
      await sql.execute(
        `WITH d AS (
           UPDATE webhook_deliveries SET status = 'failed', last_status_code = 410, last_error = 'the receiver answered 410 Gone: subscription deactivated',
             next_attempt_at = NULL
           WHERE id = $1::uuid AND status = 'pending' RETURNING subscription_id
         )
         UPDATE webhook_subscriptions SET active = false, updated_at = now() WHERE id IN (SELECT subscription_id FROM d)`,
        id,
      );
    },
  };
}
export type DeliveryQueue = ReturnType<typeof deliveryQueue>;
