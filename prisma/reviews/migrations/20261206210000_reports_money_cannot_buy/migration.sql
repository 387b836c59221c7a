-- Contract v4: a report counts only while its reporter has REPORT_MIN_SPEND_CENTS of completed purchases net of
-- refunds and an account REPORT_MIN_ACCOUNT_AGE_HOURS old; refunds (read from sales' event feed) recount.

-- from_buyer becomes the spend half of the rule; the account-age half is decided when the report is filed.
-- Reports made before this counted: they keep counting until their reporter's next refund recounts them.
ALTER TABLE "review_reports" RENAME COLUMN "from_buyer" TO "spend_ok";
ALTER TABLE "review_reports" ADD COLUMN "account_old_enough" BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE "review_reports" ALTER COLUMN "account_old_enough" DROP DEFAULT;
-- Open: filed since the review's last moderation decision (which closes them). Only open reports that count
-- make up reviews.open_reports; a recount recomputes it from these rows.
ALTER TABLE "review_reports" ADD COLUMN "open" BOOLEAN NOT NULL DEFAULT true;
UPDATE "review_reports" rr SET "open" = false
WHERE EXISTS (SELECT 1 FROM "review_moderations" m WHERE m."review_id" = rr."review_id" AND m."created_at" >= rr."created_at");
-- A refund recounts every report of its buyer.
CREATE INDEX "review_reports_reporter_id_idx" ON "review_reports" ("reporter_id");

-- Pending because reports alone sent it back (not an edit, not a moderator): a recount that leaves fewer than the
-- threshold counting returns it to approved. Existing pending reviews are left to the moderators.
ALTER TABLE "reviews" ADD COLUMN "held_by_reports" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_held_only_pending" CHECK (NOT "held_by_reports" OR "status" = 'pending');

-- Where reviews has read sales' event feed to (an opaque cursor of sales'), and which replica reads it now: the
-- lease moves with every event handled, so a replica that dies hands over once its lease runs out.
CREATE TABLE "event_feeds" (
    "name" VARCHAR(64) NOT NULL,
    "cursor" VARCHAR(64),
    "leased_by" UUID,
    "leased_until" TIMESTAMPTZ(3),
    "handled" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "event_feeds_pkey" PRIMARY KEY ("name")
);
INSERT INTO "event_feeds" ("name") VALUES ('sales.refund.completed');

-- Events handled, by id, so that none is handled twice; kept CONSUMED_EVENTS_RETENTION_DAYS (batched deletes by
-- the age index), long after the cursor has passed them.
CREATE TABLE "consumed_events" (
    "event_id" UUID NOT NULL,
    "feed" VARCHAR(64) NOT NULL,
    "consumed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consumed_events_pkey" PRIMARY KEY ("event_id")
);
CREATE INDEX "consumed_events_consumed_at_idx" ON "consumed_events" ("consumed_at");
