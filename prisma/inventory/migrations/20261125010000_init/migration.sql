
-- CreateEnum
CREATE TYPE "Category" AS ENUM ('food', 'clothes', 'accessories', 'electronics');

-- CreateEnum
CREATE TYPE "StockMovementKind" AS ENUM ('initial', 'adjustment', 'correction', 'reservation', 'release');

-- CreateEnum
CREATE TYPE "ReservationState" AS ENUM ('taken', 'released', 'voided');

-- CreateTable
CREATE TABLE "items" (
    "id" UUID NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "category" "Category" NOT NULL,
    "price_cents" BIGINT NOT NULL,
    "description" VARCHAR(1000) NOT NULL DEFAULT '',
    "stock_count" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "deleted_at" TIMESTAMPTZ(3),

    CONSTRAINT "items_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "stock_movements" (
    "id" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "item_id" UUID NOT NULL,
    "kind" "StockMovementKind" NOT NULL,
    "delta" INTEGER NOT NULL,
    "stock_after" INTEGER NOT NULL,
    "reference" VARCHAR(255),
    "reason" VARCHAR(200),
    "actor_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stock_movements_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "stock_reservations" (
    "reference" VARCHAR(255) NOT NULL,
    "state" "ReservationState" NOT NULL,
    "item_id" UUID,
    "quantity" INTEGER,
    "item_name" VARCHAR(100),
    "unit_price_cents" BIGINT,
    "stock_after" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "stock_reservations_pkey" PRIMARY KEY ("reference")
);

-- CreateIndex
CREATE INDEX "stock_movements_item_id_seq_idx" ON "stock_movements"("item_id", "seq");

-- CreateIndex
CREATE INDEX "stock_reservations_item_id_idx" ON "stock_reservations"("item_id");

-- AddForeignKey
ALTER TABLE "stock_movements" ADD CONSTRAINT "stock_movements_item_id_fkey" FOREIGN KEY ("item_id") REFERENCES "items"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "stock_reservations" ADD CONSTRAINT "stock_reservations_item_id_fkey" FOREIGN KEY ("item_id") REFERENCES "items"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


-- Hand-written (Prisma has no CHECK or partial-index syntax).
-- Prices are positive cents, stock never goes negative, a movement always changes something.
ALTER TABLE "items" ADD CONSTRAINT "items_price_positive" CHECK ("price_cents" >= 1);
ALTER TABLE "items" ADD CONSTRAINT "items_stock_non_negative" CHECK ("stock_count" >= 0);
ALTER TABLE "items" ADD CONSTRAINT "items_name_not_empty" CHECK (length("name") >= 1);
ALTER TABLE "stock_movements" ADD CONSTRAINT "stock_movements_delta_non_zero" CHECK ("delta" <> 0);
ALTER TABLE "stock_movements" ADD CONSTRAINT "stock_movements_stock_after_non_negative" CHECK ("stock_after" >= 0);
ALTER TABLE "stock_movements" ADD CONSTRAINT "stock_movements_reference_matches_kind"
  CHECK (("kind" IN ('reservation', 'release')) = ("reference" IS NOT NULL));
-- A tombstone (voided) names no item; a taken or released reservation names its item, quantity and snapshot.
ALTER TABLE "stock_reservations" ADD CONSTRAINT "stock_reservations_shape" CHECK (
  CASE WHEN "state" = 'voided'
    THEN "item_id" IS NULL AND "quantity" IS NULL
    ELSE "item_id" IS NOT NULL AND "quantity" >= 1 AND "item_name" IS NOT NULL
         AND "unit_price_cents" >= 1 AND "stock_after" >= 0
  END);
-- The stock history is append-only.
CREATE FUNCTION stock_movements_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'stock_movements is append-only';
END $$;
CREATE TRIGGER stock_movements_no_update BEFORE UPDATE OR DELETE ON "stock_movements"
  FOR EACH ROW EXECUTE FUNCTION stock_movements_append_only();

-- GET /items: every list skips deleted items, so its indexes are partial. Each sort has the id as its
-- tie-breaker; the category index also serves a category filter with the default (createdAt) order.
CREATE INDEX "items_created_at_idx" ON "items" ("created_at", "id") WHERE "deleted_at" IS NULL;
CREATE INDEX "items_price_idx" ON "items" ("price_cents", "id") WHERE "deleted_at" IS NULL;
CREATE INDEX "items_name_idx" ON "items" (lower("name"), "id") WHERE "deleted_at" IS NULL;
CREATE INDEX "items_category_idx" ON "items" ("category", "created_at", "id") WHERE "deleted_at" IS NULL;
-- ?q= is ILIKE '%…%' on name and description: trigram GIN indexes serve it when the server ships pg_trgm
-- (the embedded PostgreSQL does); without it the same query still works, by a scan.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX "items_name_trgm_idx" ON "items" USING gin ("name" gin_trgm_ops) WHERE "deleted_at" IS NULL;
    CREATE INDEX "items_description_trgm_idx" ON "items" USING gin ("description" gin_trgm_ops) WHERE "deleted_at" IS NULL;
  END IF;
END $$;
