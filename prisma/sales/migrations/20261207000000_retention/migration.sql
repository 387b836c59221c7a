-- Retention (issue 23): the outbox and the webhook deliveries are pruned on a timer, EVENT_RETENTION_DAYS after
-- their event, oldest first and a batch at a time (packages/kit/src/retention). Each purge predicate has an index
-- that returns its oldest rows first, so a batch reads about as many index entries as it deletes, at any size.
CREATE INDEX "webhook_deliveries_finished_created_at_idx" ON "webhook_deliveries" ("created_at") WHERE "status" <> 'pending';
CREATE INDEX "outbox_events_dispatched_at_idx" ON "outbox_events" ("dispatched_at") WHERE "dispatched_at" IS NOT NULL;

-- Time-ordered ids (UUIDv7, RFC 9562) for the two append-only tables the fan-out writes: a random UUID lands on
-- a random leaf of every index that holds it (the primary keys, (subscription_id, event_id), event_id), so at
-- millions of rows each insert touches a page that is rarely cached; a v7 id lands on the right-hand edge,
-- beside the last one. PostgreSQL 17 has no uuidv7() (18 does): this one takes a random v4 UUID, writes the
-- Unix time in milliseconds over its first 48 bits and sets the version bits to 7.
CREATE FUNCTION uuid_v7() RETURNS uuid LANGUAGE sql VOLATILE AS $$
  SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
    PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
$$;
ALTER TABLE "outbox_events" ALTER COLUMN "id" SET DEFAULT uuid_v7();
ALTER TABLE "webhook_deliveries" ALTER COLUMN "id" SET DEFAULT uuid_v7();

-- Idempotency keys past their TTL are deleted by this index, oldest expiry first; keys still in flight belong to
-- a purchase or refund in progress (the recovery sweep settles those) and are never in it. It replaces the
-- plain expiry index, which the purge (LIMIT without ORDER BY) did not use: it scanned the table.
CREATE INDEX "idempotency_keys_done_expires_at_idx" ON "idempotency_keys" ("expires_at") WHERE "state" = 'done';
DROP INDEX "idempotency_keys_expires_at_idx";
