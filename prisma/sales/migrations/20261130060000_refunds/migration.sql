-- Refunds of completed sales: recorded PENDING (under a lock on the sale, so what is left to refund is checked
-- against every refund already recorded), then driven forward until COMPLETED; never undone.
CREATE TYPE "RefundStatus" AS ENUM ('PENDING', 'COMPLETED');

CREATE TABLE "refunds" (
    "id" UUID NOT NULL,
    "sale_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "amount_cents" BIGINT NOT NULL,
    "reason" VARCHAR(500),
    "restock" BOOLEAN NOT NULL,
    "status" "RefundStatus" NOT NULL DEFAULT 'PENDING',
    "recovery_count" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "refunds_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "refunds_sale_id_created_at_idx" ON "refunds"("sale_id", "created_at");
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_sale_id_fkey" FOREIGN KEY ("sale_id") REFERENCES "sales"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "refund_lines" (
    "refund_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "item_id" UUID NOT NULL,
    "quantity" INTEGER NOT NULL,
    "amount_cents" BIGINT NOT NULL,

    CONSTRAINT "refund_lines_pkey" PRIMARY KEY ("refund_id", "position")
);
ALTER TABLE "refund_lines" ADD CONSTRAINT "refund_lines_refund_id_fkey" FOREIGN KEY ("refund_id") REFERENCES "refunds"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- An Idempotency-Key now belongs to a purchase (sale_id) or to a refund (refund_id); a refused refund keeps
-- its answer under a key that names neither.
ALTER TABLE "idempotency_keys" ALTER COLUMN "sale_id" DROP NOT NULL;
ALTER TABLE "idempotency_keys" ADD COLUMN "refund_id" UUID;
CREATE INDEX "idempotency_keys_refund_id_idx" ON "idempotency_keys"("refund_id");

-- Hand-written (Prisma has no CHECK or partial-index syntax).
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_amount_positive" CHECK ("amount_cents" >= 1);
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_recovery_count_non_negative" CHECK ("recovery_count" >= 0);
ALTER TABLE "refund_lines" ADD CONSTRAINT "refund_lines_shape" CHECK ("position" BETWEEN 0 AND 49 AND "quantity" BETWEEN 1 AND 1000 AND "amount_cents" >= 0);
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_one_owner" CHECK ("sale_id" IS NULL OR "refund_id" IS NULL);
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_in_flight_has_owner"
  CHECK ("state" <> 'in_flight' OR "sale_id" IS NOT NULL OR "refund_id" IS NOT NULL);
-- The recovery sweep: oldest pending refund first.
CREATE INDEX "refunds_pending_created_idx" ON "refunds" ("created_at") WHERE "status" = 'PENDING';
