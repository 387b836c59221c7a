-- Issue 23: an item's rating summary (count, average, distribution of its approved reviews) is kept in a row of
-- its own, maintained on write, and read by primary key: the item page no longer aggregates every approved review.
--
-- Maintained by statement-level triggers on reviews, so every path that changes an approved review's visibility or
-- rating (approve, reject, an edit sending it back to pending, reports sending it to pending, a refund's recount
-- giving it back, delete, a bulk load) updates it in the writing transaction, whatever the code path. Each statement
-- applies its net change per item as deltas, in one INSERT … ON CONFLICT DO UPDATE (count = count + delta): the row
-- lock serialises concurrent writers of one item and none loses another's update. Items are taken in id order, so
-- two statements touching several items never deadlock on these rows. A statement that changes no approved rating
-- (verifiedPurchase, report counters) writes nothing here.
CREATE TABLE "review_summaries" (
    "item_id" UUID NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,
    "rating_sum" BIGINT NOT NULL DEFAULT 0,
    "r1" INTEGER NOT NULL DEFAULT 0,
    "r2" INTEGER NOT NULL DEFAULT 0,
    "r3" INTEGER NOT NULL DEFAULT 0,
    "r4" INTEGER NOT NULL DEFAULT 0,
    "r5" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "review_summaries_pkey" PRIMARY KEY ("item_id"),
    -- Linear, so they hold for the delta rows an upsert proposes too (a non-negativity CHECK would refuse a
    -- proposed row of negative deltas before ON CONFLICT turns it into an update).
    CONSTRAINT "review_summaries_count" CHECK ("count" = "r1" + "r2" + "r3" + "r4" + "r5"),
    CONSTRAINT "review_summaries_sum" CHECK ("rating_sum" = "r1" + 2 * "r2" + 3 * "r3" + 4 * "r4" + 5 * "r5")
);

-- One change to the approved set: +1 for an approved row that appears, -1 for one that goes.
CREATE TYPE "review_rating_change" AS ("item_id" UUID, "rating" SMALLINT, "sign" INTEGER);

-- Applies a statement's changes as per-item deltas (changes that cancel out, such as an edit that keeps an
-- approved rating, write nothing).
CREATE FUNCTION review_summaries_apply(changes "review_rating_change"[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO "review_summaries" AS s ("item_id", "count", "rating_sum", "r1", "r2", "r3", "r4", "r5")
  SELECT d.item_id, d.r1 + d.r2 + d.r3 + d.r4 + d.r5, d.r1 + 2 * d.r2 + 3 * d.r3 + 4 * d.r4 + 5 * d.r5, d.r1, d.r2, d.r3, d.r4, d.r5
  FROM (
    SELECT c.item_id,
      coalesce(sum(c.sign) FILTER (WHERE c.rating = 1), 0)::int AS r1, coalesce(sum(c.sign) FILTER (WHERE c.rating = 2), 0)::int AS r2,
      coalesce(sum(c.sign) FILTER (WHERE c.rating = 3), 0)::int AS r3, coalesce(sum(c.sign) FILTER (WHERE c.rating = 4), 0)::int AS r4,
      coalesce(sum(c.sign) FILTER (WHERE c.rating = 5), 0)::int AS r5
    FROM unnest(changes) c GROUP BY c.item_id
  ) d
  WHERE (d.r1, d.r2, d.r3, d.r4, d.r5) <> (0, 0, 0, 0, 0)
  ORDER BY d.item_id
  ON CONFLICT ("item_id") DO UPDATE SET
    "count" = s."count" + excluded."count", "rating_sum" = s."rating_sum" + excluded."rating_sum",
    "r1" = s."r1" + excluded."r1", "r2" = s."r2" + excluded."r2", "r3" = s."r3" + excluded."r3",
    "r4" = s."r4" + excluded."r4", "r5" = s."r5" + excluded."r5", "updated_at" = now();
$$;

-- A trigger with transition tables has one event; the three share this function (each branch reads only the
-- transition tables its event has).
CREATE FUNCTION review_summaries_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM review_summaries_apply(ARRAY(
      SELECT ROW(n.item_id, n.rating, 1)::"review_rating_change" FROM new_rows n WHERE n.status = 'approved'));
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM review_summaries_apply(ARRAY(
      SELECT ROW(n.item_id, n.rating, 1)::"review_rating_change" FROM new_rows n WHERE n.status = 'approved'
      UNION ALL
      SELECT ROW(o.item_id, o.rating, -1)::"review_rating_change" FROM old_rows o WHERE o.status = 'approved'));
  ELSE
    PERFORM review_summaries_apply(ARRAY(
      SELECT ROW(o.item_id, o.rating, -1)::"review_rating_change" FROM old_rows o WHERE o.status = 'approved'));
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER review_summaries_on_insert AFTER INSERT ON "reviews"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION review_summaries_track();
CREATE TRIGGER review_summaries_on_update AFTER UPDATE ON "reviews"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION review_summaries_track();
CREATE TRIGGER review_summaries_on_delete AFTER DELETE ON "reviews"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION review_summaries_track();
-- TRUNCATE would bypass the deltas: it empties the summaries with the reviews.
CREATE FUNCTION review_summaries_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "review_summaries";
  RETURN NULL;
END $$;
CREATE TRIGGER review_summaries_on_truncate AFTER TRUNCATE ON "reviews" FOR EACH STATEMENT EXECUTE FUNCTION review_summaries_truncate();

-- Backfill from the approved reviews stored now.
INSERT INTO "review_summaries" ("item_id", "count", "rating_sum", "r1", "r2", "r3", "r4", "r5")
SELECT "item_id", count(*), sum("rating"),
  count(*) FILTER (WHERE "rating" = 1), count(*) FILTER (WHERE "rating" = 2), count(*) FILTER (WHERE "rating" = 3),
  count(*) FILTER (WHERE "rating" = 4), count(*) FILTER (WHERE "rating" = 5)
FROM "reviews" WHERE "status" = 'approved' GROUP BY "item_id";
