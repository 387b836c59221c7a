-- Issue 23: GET /customers?q= is ILIKE '%…%' on username and names: trigram GIN indexes serve it when the server
-- ships pg_trgm (as inventory's items); without it the same query still works, by a scan. The list's order
-- (username_key) has the unique index customers_username_key_key.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX "customers_username_trgm_idx" ON "customers" USING gin ("username" gin_trgm_ops);
    CREATE INDEX "customers_first_name_trgm_idx" ON "customers" USING gin ("first_name" gin_trgm_ops);
    CREATE INDEX "customers_last_name_trgm_idx" ON "customers" USING gin ("last_name" gin_trgm_ops);
  END IF;
END $$;

-- A customer's sessions, newest first, ties by id (the cursor's order).
CREATE INDEX "sessions_customer_id_created_at_id_idx" ON "sessions" ("customer_id", "created_at", "id");
