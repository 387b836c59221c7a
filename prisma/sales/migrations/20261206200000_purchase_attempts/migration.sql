-- PURCHASES_PER_MINUTE (contract v4): purchase attempts per customer in fixed one-minute windows, one row per
-- (customer, window) upserted by every attempt, so every replica counts in the same place. An attempt past the
-- limit writes nothing (the upsert's WHERE leaves the row as it was).
CREATE TABLE "purchase_attempts" (
    "customer_id" UUID NOT NULL,
    "window_start" TIMESTAMPTZ(3) NOT NULL,
    "attempts" INTEGER NOT NULL,

    CONSTRAINT "purchase_attempts_pkey" PRIMARY KEY ("customer_id", "window_start")
);
ALTER TABLE "purchase_attempts" ADD CONSTRAINT "purchase_attempts_positive" CHECK ("attempts" >= 1);
-- Retention: the recovery sweep deletes ended windows in batches, oldest first, by this index.
CREATE INDEX "purchase_attempts_window_start_idx" ON "purchase_attempts" ("window_start");
