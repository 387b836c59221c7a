-- CreateEnum
CREATE TYPE "ReviewStatus" AS ENUM ('pending', 'approved', 'rejected');

-- CreateEnum
CREATE TYPE "ModerationAction" AS ENUM ('approve', 'reject');

-- CreateTable
CREATE TABLE "reviews" (
    "id" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "item_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "username" VARCHAR(32) NOT NULL,
    "username_key" VARCHAR(32) NOT NULL,
    "rating" SMALLINT NOT NULL,
    "comment" VARCHAR(2000) NOT NULL DEFAULT '',
    "status" "ReviewStatus" NOT NULL DEFAULT 'pending',
    "verified_purchase" BOOLEAN NOT NULL DEFAULT false,
    "purchase_checked" BOOLEAN NOT NULL DEFAULT false,
    "report_count" INTEGER NOT NULL DEFAULT 0,
    "open_reports" INTEGER NOT NULL DEFAULT 0,
    "status_changed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reviews_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "review_reports" (
    "id" UUID NOT NULL,
    "review_id" UUID NOT NULL,
    "reporter_id" UUID NOT NULL,
    "reporter" VARCHAR(32) NOT NULL,
    "reason" VARCHAR(500) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "review_reports_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "review_moderations" (
    "id" UUID NOT NULL,
    "review_id" UUID NOT NULL,
    "action" "ModerationAction" NOT NULL,
    "note" VARCHAR(1000) NOT NULL DEFAULT '',
    "moderator_id" UUID NOT NULL,
    "moderator_username" VARCHAR(32) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "review_moderations_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "reviews_username_key_seq_idx" ON "reviews"("username_key", "seq" DESC);

-- CreateIndex
CREATE INDEX "reviews_status_status_changed_at_seq_idx" ON "reviews"("status", "status_changed_at", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "reviews_customer_id_item_id_key" ON "reviews"("customer_id", "item_id");

-- CreateIndex
CREATE UNIQUE INDEX "review_reports_review_id_reporter_id_key" ON "review_reports"("review_id", "reporter_id");

-- CreateIndex
CREATE INDEX "review_moderations_review_id_created_at_idx" ON "review_moderations"("review_id", "created_at");

-- AddForeignKey
ALTER TABLE "review_reports" ADD CONSTRAINT "review_reports_review_id_fkey" FOREIGN KEY ("review_id") REFERENCES "reviews"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "review_moderations" ADD CONSTRAINT "review_moderations_review_id_fkey" FOREIGN KEY ("review_id") REFERENCES "reviews"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Hand-written (Prisma has no syntax for these).
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_rating_range" CHECK ("rating" BETWEEN 1 AND 5);
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_report_counts_non_negative" CHECK ("report_count" >= 0 AND "open_reports" >= 0 AND "open_reports" <= "report_count");
-- An item's page and its summary read only this index (index-only scan): approved rows, newest first, with the rating.
CREATE INDEX "reviews_item_approved_idx" ON "reviews" ("item_id", "seq" DESC) INCLUDE ("rating") WHERE "status" = 'approved';
-- The purchase re-check sweep finds the reviews sales could not be asked about.
CREATE INDEX "reviews_purchase_unchecked_idx" ON "reviews" ("seq") WHERE NOT "purchase_checked";
-- The moderation history is append-only.
CREATE FUNCTION review_moderations_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'review_moderations is append-only';
END $$;
CREATE TRIGGER review_moderations_no_update BEFORE UPDATE ON "review_moderations"
  FOR EACH ROW EXECUTE FUNCTION review_moderations_append_only();
