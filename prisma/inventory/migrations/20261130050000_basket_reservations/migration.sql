-- A reservation holds every line of a sale's basket under one reference (the sale id): the reservation row
-- keeps the state (taken / released / voided tombstone), its lines keep what each item gave.
CREATE TABLE "stock_reservation_lines" (
    "reference" VARCHAR(255) NOT NULL,
    "position" INTEGER NOT NULL,
    "item_id" UUID NOT NULL,
    "quantity" INTEGER NOT NULL,
    "item_name" VARCHAR(100) NOT NULL,
    "unit_price_cents" BIGINT NOT NULL,
    "stock_after" INTEGER NOT NULL,

    CONSTRAINT "stock_reservation_lines_pkey" PRIMARY KEY ("reference", "position")
);
CREATE UNIQUE INDEX "stock_reservation_lines_reference_item_id_key" ON "stock_reservation_lines"("reference", "item_id");
CREATE INDEX "stock_reservation_lines_item_id_idx" ON "stock_reservation_lines"("item_id");
ALTER TABLE "stock_reservation_lines" ADD CONSTRAINT "stock_reservation_lines_reference_fkey" FOREIGN KEY ("reference") REFERENCES "stock_reservations"("reference") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "stock_reservation_lines" ADD CONSTRAINT "stock_reservation_lines_item_id_fkey" FOREIGN KEY ("item_id") REFERENCES "items"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

INSERT INTO "stock_reservation_lines" ("reference", "position", "item_id", "quantity", "item_name", "unit_price_cents", "stock_after")
SELECT "reference", 0, "item_id", "quantity", "item_name", "unit_price_cents", "stock_after" FROM "stock_reservations" WHERE "item_id" IS NOT NULL;

ALTER TABLE "stock_reservations" DROP CONSTRAINT "stock_reservations_shape";
ALTER TABLE "stock_reservations" DROP CONSTRAINT "stock_reservations_item_id_fkey";
DROP INDEX "stock_reservations_item_id_idx";
ALTER TABLE "stock_reservations" DROP COLUMN "item_id", DROP COLUMN "quantity", DROP COLUMN "item_name",
  DROP COLUMN "unit_price_cents", DROP COLUMN "stock_after";

-- Hand-written (Prisma has no CHECK syntax).
ALTER TABLE "stock_reservation_lines" ADD CONSTRAINT "stock_reservation_lines_shape"
  CHECK ("position" BETWEEN 0 AND 49 AND "quantity" BETWEEN 1 AND 1000 AND length("item_name") >= 1
         AND "unit_price_cents" >= 1 AND "stock_after" >= 0);

-- The take of a whole basket, one round trip: every line or none. Item rows are locked in id order, so two
-- baskets sharing items in opposite orders queue instead of deadlocking. Idempotent by reference: an earlier
-- row answers (already_taken with the same lines, voided after a release or a tombstone, reference_mismatch
-- for other lines). Refusals write nothing: no_item and insufficient_stock name the offending lines
-- (0-based positions). The reservation row is claimed before any stock moves, so a concurrent take of the same
-- reference waits for it and then answers from it, and a release arriving meanwhile waits too (undo wins later).
CREATE FUNCTION stock_take(p_reference VARCHAR, p_items UUID[], p_quantities INT[])
RETURNS TABLE (outcome TEXT, line INT, item_id UUID, quantity INT, item_name VARCHAR, unit_price_cents BIGINT, stock_after INT)
LANGUAGE plpgsql AS $$
DECLARE
  v_bad INT[];
BEGIN
  IF EXISTS (SELECT 1 FROM stock_reservations r WHERE r.reference = p_reference) THEN
    RETURN QUERY SELECT * FROM stock_take_earlier(p_reference, p_items, p_quantities);
    RETURN;
  END IF;
  PERFORM count(*) FROM (SELECT 1 FROM items i WHERE i.id = ANY(p_items) AND i.deleted_at IS NULL ORDER BY i.id FOR UPDATE) locked;
  SELECT array_agg(t.ord::int - 1 ORDER BY t.ord) INTO v_bad
    FROM unnest(p_items) WITH ORDINALITY t(id, ord)
    WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = t.id AND i.deleted_at IS NULL);
  IF v_bad IS NOT NULL THEN
    RETURN QUERY SELECT 'no_item'::text, b, NULL::uuid, NULL::int, NULL::varchar, NULL::bigint, NULL::int FROM unnest(v_bad) b;
    RETURN;
  END IF;
  SELECT array_agg(t.ord::int - 1 ORDER BY t.ord) INTO v_bad
    FROM unnest(p_items, p_quantities) WITH ORDINALITY t(id, q, ord) JOIN items i ON i.id = t.id
    WHERE i.stock_count < t.q;
  IF v_bad IS NOT NULL THEN
    RETURN QUERY SELECT 'insufficient_stock'::text, b, NULL::uuid, NULL::int, NULL::varchar, NULL::bigint, NULL::int FROM unnest(v_bad) b;
    RETURN;
  END IF;
  INSERT INTO stock_reservations (reference, state, updated_at) VALUES (p_reference, 'taken', now()) ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    -- A take (or a release) of this reference committed while this one waited: its row decides.
    RETURN QUERY SELECT * FROM stock_take_earlier(p_reference, p_items, p_quantities);
    RETURN;
  END IF;
  RETURN QUERY
  WITH taken AS (
    UPDATE items i SET stock_count = i.stock_count - t.q, updated_at = now()
    FROM unnest(p_items, p_quantities) WITH ORDINALITY t(id, q, ord)
    WHERE i.id = t.id
    RETURNING i.id, t.q, t.ord::int - 1 AS pos, i.name, i.price_cents, i.stock_count
  ), lines AS (
    INSERT INTO stock_reservation_lines (reference, position, item_id, quantity, item_name, unit_price_cents, stock_after)
    SELECT p_reference, taken.pos, taken.id, taken.q, taken.name, taken.price_cents, taken.stock_count FROM taken
  ), moves AS (
    INSERT INTO stock_movements (id, item_id, kind, delta, stock_after, reference)
    SELECT gen_random_uuid(), taken.id, 'reservation', -taken.q, taken.stock_count, p_reference FROM taken
  )
  SELECT 'taken'::text, taken.pos, taken.id, taken.q, taken.name, taken.price_cents, taken.stock_count FROM taken ORDER BY taken.pos;
END $$;

-- The answer an existing reservation row gives a take of the same reference.
CREATE FUNCTION stock_take_earlier(p_reference VARCHAR, p_items UUID[], p_quantities INT[])
RETURNS TABLE (outcome TEXT, line INT, item_id UUID, quantity INT, item_name VARCHAR, unit_price_cents BIGINT, stock_after INT)
LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT r.state FROM stock_reservations r WHERE r.reference = p_reference) <> 'taken' THEN
    RETURN QUERY SELECT 'voided'::text, NULL::int, NULL::uuid, NULL::int, NULL::varchar, NULL::bigint, NULL::int;
  ELSIF EXISTS (
    (SELECT l.position, l.item_id, l.quantity FROM stock_reservation_lines l WHERE l.reference = p_reference)
    EXCEPT ALL (SELECT t.ord::int - 1, t.id, t.q FROM unnest(p_items, p_quantities) WITH ORDINALITY t(id, q, ord))
  ) OR (SELECT count(*) FROM stock_reservation_lines l WHERE l.reference = p_reference) <> cardinality(p_items) THEN
    RETURN QUERY SELECT 'reference_mismatch'::text, NULL::int, NULL::uuid, NULL::int, NULL::varchar, NULL::bigint, NULL::int;
  ELSE
    RETURN QUERY SELECT 'already_taken'::text, l.position, l.item_id, l.quantity, l.item_name, l.unit_price_cents, l.stock_after
      FROM stock_reservation_lines l WHERE l.reference = p_reference ORDER BY l.position;
  END IF;
END $$;

-- Gives a basket's stock back once (items in id order, as takes lock them), or leaves a voided tombstone when
-- nothing was taken, so a late take of the reference is refused: the undo wins.
CREATE FUNCTION stock_release(p_reference VARCHAR) RETURNS TEXT LANGUAGE plpgsql AS $$
DECLARE
  v_state "ReservationState";
  l RECORD;
  v_stock INT;
BEGIN
  INSERT INTO stock_reservations (reference, state, updated_at) VALUES (p_reference, 'voided', now()) ON CONFLICT DO NOTHING;
  IF FOUND THEN
    RETURN 'voided';
  END IF;
  SELECT r.state INTO v_state FROM stock_reservations r WHERE r.reference = p_reference FOR UPDATE;
  IF v_state = 'voided' THEN
    RETURN 'voided';
  ELSIF v_state = 'released' THEN
    RETURN 'already_released';
  END IF;
  UPDATE stock_reservations SET state = 'released', updated_at = now() WHERE reference = p_reference;
  FOR l IN SELECT s.item_id, s.quantity FROM stock_reservation_lines s WHERE s.reference = p_reference ORDER BY s.item_id LOOP
    -- Deleted items take their stock back too: a past sale's undo must always work.
    UPDATE items SET stock_count = stock_count + l.quantity, updated_at = now() WHERE id = l.item_id RETURNING stock_count INTO v_stock;
    INSERT INTO stock_movements (id, item_id, kind, delta, stock_after, reference)
      VALUES (gen_random_uuid(), l.item_id, 'release', l.quantity, v_stock, p_reference);
  END LOOP;
  RETURN 'released';
END $$;
