-- CreateEnum
CREATE TYPE "SaleStatus" AS ENUM ('PENDING', 'COMPLETED', 'FAILED');

-- CreateEnum
CREATE TYPE "IdempotencyState" AS ENUM ('in_flight', 'done');

-- CreateTable
CREATE TABLE "sales" (
    "id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "username" VARCHAR(32) NOT NULL,
    "username_key" VARCHAR(32) NOT NULL,
    "item_id" UUID NOT NULL,
    "quantity" INTEGER NOT NULL,
    "item_name" VARCHAR(100),
    "unit_price_cents" BIGINT,
    "total_cents" BIGINT,
    "status" "SaleStatus" NOT NULL DEFAULT 'PENDING',
    "failure_reason" VARCHAR(64),
    "recovery_count" INTEGER NOT NULL DEFAULT 0,
    "recovered_by" VARCHAR(64),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sales_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "idempotency_keys" (
    "customer_id" UUID NOT NULL,
    "key" VARCHAR(255) NOT NULL,
    "request_hash" CHAR(64) NOT NULL,
    "state" "IdempotencyState" NOT NULL DEFAULT 'in_flight',
    "sale_id" UUID NOT NULL,
    "response_status" INTEGER,
    "response_body" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("customer_id","key")
);

-- CreateIndex
CREATE INDEX "idempotency_keys_sale_id_idx" ON "idempotency_keys"("sale_id");

-- CreateIndex
CREATE INDEX "idempotency_keys_expires_at_idx" ON "idempotency_keys"("expires_at");


-- Hand-written (Prisma has no syntax for CHECK constraints or partial indexes).
ALTER TABLE "sales" ADD CONSTRAINT "sales_quantity_range" CHECK ("quantity" BETWEEN 1 AND 1000);
ALTER TABLE "sales" ADD CONSTRAINT "sales_unit_price_non_negative" CHECK ("unit_price_cents" >= 0);
ALTER TABLE "sales" ADD CONSTRAINT "sales_total_non_negative" CHECK ("total_cents" >= 0);
ALTER TABLE "sales" ADD CONSTRAINT "sales_total_is_price_times_quantity" CHECK ("total_cents" = "unit_price_cents" * "quantity");
ALTER TABLE "sales" ADD CONSTRAINT "sales_completed_has_price"
  CHECK ("status" <> 'COMPLETED' OR ("item_name" IS NOT NULL AND "unit_price_cents" IS NOT NULL AND "total_cents" IS NOT NULL));
ALTER TABLE "sales" ADD CONSTRAINT "sales_recovery_count_non_negative" CHECK ("recovery_count" >= 0);
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_done_has_answer"
  CHECK (("state" = 'done') = ("response_status" IS NOT NULL AND "response_body" IS NOT NULL));
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_key_length" CHECK (length("key") >= 1);

-- History lists show completed sales only, newest first: a customer's own, everyone's (admin), by username (admin).
CREATE INDEX "sales_completed_customer_created_idx" ON "sales" ("customer_id", "created_at" DESC, "id" DESC) WHERE "status" = 'COMPLETED';
CREATE INDEX "sales_completed_created_idx" ON "sales" ("created_at" DESC, "id" DESC) WHERE "status" = 'COMPLETED';
CREATE INDEX "sales_completed_username_created_idx" ON "sales" ("username_key", "created_at" DESC, "id" DESC) WHERE "status" = 'COMPLETED';
-- "Has this customer bought this item?" (reviews' verified purchase).
CREATE INDEX "sales_completed_customer_item_idx" ON "sales" ("customer_id", "item_id") WHERE "status" = 'COMPLETED';
-- The recovery sweep: oldest pending first.
CREATE INDEX "sales_pending_created_idx" ON "sales" ("created_at") WHERE "status" = 'PENDING';
