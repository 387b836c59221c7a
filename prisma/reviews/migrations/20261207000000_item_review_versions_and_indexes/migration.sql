-- Issue 23: an item's review page's ETag from a version maintained on write, and an index for each list's order.

-- The version of an item's review page (for its ETag): bumped by a row trigger, in the writing transaction, when
-- a write touches an approved review of the item (approving, rejecting, editing or deleting one, or a change to
-- an approved one's counters). A pending review's writes leave it alone: it is not on the page. One row per
-- reviewed item, read by its key: nothing aggregates the item's reviews to answer an ETag.
CREATE TABLE "item_review_versions" (
    "item_id" UUID NOT NULL,
    "version" BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT "item_review_versions_pkey" PRIMARY KEY ("item_id")
);

CREATE FUNCTION bump_item_review_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.status = 'approved' THEN
    INSERT INTO item_review_versions AS v (item_id, version) VALUES (OLD.item_id, 1)
      ON CONFLICT (item_id) DO UPDATE SET version = v.version + 1;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.status = 'approved'
     AND (TG_OP = 'INSERT' OR OLD.status <> 'approved' OR OLD.item_id <> NEW.item_id) THEN
    INSERT INTO item_review_versions AS v (item_id, version) VALUES (NEW.item_id, 1)
      ON CONFLICT (item_id) DO UPDATE SET version = v.version + 1;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER "reviews_item_version" AFTER INSERT OR UPDATE OR DELETE ON "reviews"
  FOR EACH ROW EXECUTE FUNCTION bump_item_review_version();

-- The author's own view (every status, newest first) and a review's reports (oldest first).
CREATE INDEX "reviews_customer_id_seq_idx" ON "reviews" ("customer_id", "seq");
CREATE INDEX "review_reports_review_id_seq_idx" ON "review_reports" ("review_id", "seq");
