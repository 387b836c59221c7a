/**
 * The delivery worker's two hot statements, as text: the queue (queue.ts) runs them, and
 * bench/retention-at-scale.mjs explains the very same ones at a million rows. No imports, so a plain Node script
 * can load this file too.
 */

/**
 * Fans the oldest undispatched events ($1 of them) out to the active subscriptions that want them, one delivery row
 * per (subscription, event), giving up $2 ms after the event, and marks the events dispatched, in one statement.
 */
export const FAN_OUT_SQL = `WITH events AS (
    SELECT id, type, created_at FROM outbox_events WHERE dispatched_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED
  ), deliveries AS (
    INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, next_attempt_at, give_up_at)
    SELECT uuid_v7(), s.id, e.id, e.type, now(), e.created_at + make_interval(secs => $2::double precision / 1000)
    FROM events e JOIN webhook_subscriptions s ON s.active AND (e.type = ANY(s.events) OR '*' = ANY(s.events))
    ORDER BY e.created_at
    ON CONFLICT (subscription_id, event_id) DO NOTHING
  )
  UPDATE outbox_events o SET dispatched_at = now() FROM events WHERE o.id = events.id`;

/** Claims $1 due deliveries of active subscriptions for one attempt each, leased for $2 ms, with what to post. */
export const CLAIM_SQL = `WITH due AS (
    SELECT d.id FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.active
    WHERE d.status = 'pending' AND d.next_attempt_at <= now()
    ORDER BY d.next_attempt_at LIMIT $1 FOR UPDATE OF d SKIP LOCKED
  )
  UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
  FROM due, webhook_subscriptions s, outbox_events e
  WHERE d.id = due.id AND s.id = d.subscription_id AND e.id = d.event_id
  RETURNING d.id, d.attempts, s.url, s.secret, e.id AS event_id, e.traceparent,
    '{"id":' || to_json(e.id::text) || ',"type":' || to_json(e.type) ||
    ',"createdAt":' || to_json(to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ||
    ',"data":' || e.data::text || '}' AS body`;
