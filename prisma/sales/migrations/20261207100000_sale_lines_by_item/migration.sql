-- Issue 23: GET /sales?itemId= reads an index that serves its filter and its order (newest first), instead of
-- walking every completed sale by time and probing each one's lines (EXISTS) until a page of the item's is found.
--
-- sale_lines carries its sale's created_at (immutable: a sale's time never changes). A BEFORE INSERT trigger copies
-- it from the sale, whatever the writer (the purchase's one statement inserts the sale and its lines together; the
-- trigger sees the sale its statement just wrote), so the copy always equals the sale's.
ALTER TABLE "sale_lines" ADD COLUMN "sale_created_at" TIMESTAMPTZ(3);
UPDATE "sale_lines" l SET "sale_created_at" = s."created_at" FROM "sales" s WHERE s."id" = l."sale_id";
ALTER TABLE "sale_lines" ALTER COLUMN "sale_created_at" SET NOT NULL;

CREATE FUNCTION sale_lines_sale_created_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT "created_at" INTO NEW."sale_created_at" FROM "sales" WHERE "id" = NEW."sale_id";
  RETURN NEW;
END $$;
CREATE TRIGGER "sale_lines_sale_created_at" BEFORE INSERT OR UPDATE OF "sale_id", "sale_created_at" ON "sale_lines"
  FOR EACH ROW EXECUTE FUNCTION sale_lines_sale_created_at();

-- An item's sales, newest first (scanned backwards): the page walks the item's lines in order and joins each to its
-- sale by primary key. Replaces the (item_id) index, which it covers as a prefix.
CREATE INDEX "sale_lines_item_id_sale_created_at_idx" ON "sale_lines" ("item_id", "sale_created_at", "sale_id");
DROP INDEX "sale_lines_item_id_idx";
