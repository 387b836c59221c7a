-- A sale holds a basket: its lines move to their own table (in the order the client sent them), and the sale
-- keeps the total and what was refunded of it.
CREATE TABLE "sale_lines" (
    "sale_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "item_id" UUID NOT NULL,
    "quantity" INTEGER NOT NULL,
    "item_name" VARCHAR(100),
    "unit_price_cents" BIGINT,
    "refunded_quantity" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "sale_lines_pkey" PRIMARY KEY ("sale_id", "position")
);
CREATE UNIQUE INDEX "sale_lines_sale_id_item_id_key" ON "sale_lines"("sale_id", "item_id");
CREATE INDEX "sale_lines_item_id_idx" ON "sale_lines"("item_id");
ALTER TABLE "sale_lines" ADD CONSTRAINT "sale_lines_sale_id_fkey" FOREIGN KEY ("sale_id") REFERENCES "sales"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

INSERT INTO "sale_lines" ("sale_id", "position", "item_id", "quantity", "item_name", "unit_price_cents")
SELECT "id", 0, "item_id", "quantity", "item_name", "unit_price_cents" FROM "sales";

ALTER TABLE "sales" ADD COLUMN "refunded_cents" BIGINT NOT NULL DEFAULT 0;
DROP INDEX "sales_completed_customer_item_idx";
ALTER TABLE "sales" DROP CONSTRAINT "sales_quantity_range", DROP CONSTRAINT "sales_unit_price_non_negative",
  DROP CONSTRAINT "sales_total_is_price_times_quantity", DROP CONSTRAINT "sales_completed_has_price";
ALTER TABLE "sales" DROP COLUMN "item_id", DROP COLUMN "quantity", DROP COLUMN "item_name", DROP COLUMN "unit_price_cents";

-- Hand-written (Prisma has no CHECK syntax).
ALTER TABLE "sale_lines" ADD CONSTRAINT "sale_lines_position_range" CHECK ("position" BETWEEN 0 AND 49);
ALTER TABLE "sale_lines" ADD CONSTRAINT "sale_lines_quantity_range" CHECK ("quantity" BETWEEN 1 AND 1000);
ALTER TABLE "sale_lines" ADD CONSTRAINT "sale_lines_unit_price_non_negative" CHECK ("unit_price_cents" >= 0);
ALTER TABLE "sale_lines" ADD CONSTRAINT "sale_lines_refunded_quantity_range" CHECK ("refunded_quantity" BETWEEN 0 AND "quantity");
ALTER TABLE "sales" ADD CONSTRAINT "sales_completed_has_total" CHECK ("status" <> 'COMPLETED' OR "total_cents" IS NOT NULL);
ALTER TABLE "sales" ADD CONSTRAINT "sales_refunded_within_total" CHECK ("refunded_cents" >= 0 AND "refunded_cents" <= coalesce("total_cents", 0));
