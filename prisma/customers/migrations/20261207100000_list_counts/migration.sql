-- Issue 23: the total of GET /customers (admin, no q) maintained on write, so its pages run no count (a capped count
-- of 10,001 rows read customers sequentially at 200,000 customers).
--
-- The total is the sum of the list's eight slots; a writing statement adds its net change to the slot of its backend
-- (pg_backend_pid() % 8), like inventory's list_counts, so concurrent registrations rarely wait on one row. Statement-
-- level triggers with transition tables apply one delta per statement, in the writing transaction.
CREATE TABLE "list_counts" (
    "name" TEXT NOT NULL,
    "slot" INTEGER NOT NULL,
    "count" BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT "list_counts_pkey" PRIMARY KEY ("name", "slot")
);
INSERT INTO "list_counts" ("name", "slot") SELECT 'customers', slot FROM generate_series(0, 7) AS slot;

-- A trigger with transition tables has one event; the two share this function.
CREATE FUNCTION customers_list_count_track() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta BIGINT;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT count(*) INTO delta FROM new_rows;
  ELSE
    SELECT -count(*) INTO delta FROM old_rows;
  END IF;
  IF delta <> 0 THEN
    UPDATE list_counts SET count = count + delta WHERE name = 'customers' AND slot = pg_backend_pid() % 8;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER "customers_list_count_on_insert" AFTER INSERT ON "customers"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION customers_list_count_track();
CREATE TRIGGER "customers_list_count_on_delete" AFTER DELETE ON "customers"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION customers_list_count_track();
-- TRUNCATE bypasses the deltas: it zeroes the count with the customers.
CREATE FUNCTION customers_list_count_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE list_counts SET count = 0 WHERE name = 'customers';
  RETURN NULL;
END $$;
CREATE TRIGGER "customers_list_count_on_truncate" AFTER TRUNCATE ON "customers" FOR EACH STATEMENT EXECUTE FUNCTION customers_list_count_truncate();

-- Backfill into slot 0. No write is missed or counted twice: CREATE TRIGGER above took a SHARE ROW EXCLUSIVE lock on
-- customers, which the migration's transaction holds until it commits.
UPDATE list_counts SET count = (SELECT count(*) FROM customers) WHERE name = 'customers' AND slot = 0;
