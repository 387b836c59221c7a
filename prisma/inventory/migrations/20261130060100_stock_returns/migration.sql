-- A return of stock for a refund (reference = the refund id): one row per reference makes it idempotent; its
-- movements (kind return, same reference) say what came back.
CREATE TABLE "stock_returns" (
    "reference" VARCHAR(255) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stock_returns_pkey" PRIMARY KEY ("reference")
);

ALTER TABLE "stock_movements" DROP CONSTRAINT "stock_movements_reference_matches_kind";
ALTER TABLE "stock_movements" ADD CONSTRAINT "stock_movements_reference_matches_kind"
  CHECK (("kind" IN ('reservation', 'release', 'return')) = ("reference" IS NOT NULL));
CREATE INDEX "stock_movements_reference_idx" ON "stock_movements"("reference") WHERE "reference" IS NOT NULL;

-- Puts every line's units back, once per reference, item rows in id order (as takes lock them). Deleted items
-- get their units back too (the movements must still sum to the stock). Outcomes: returned, already_returned
-- (the same lines came back before), reference_mismatch (other lines under that reference), no_item.
CREATE FUNCTION stock_return(p_reference VARCHAR, p_items UUID[], p_quantities INT[]) RETURNS TEXT LANGUAGE plpgsql AS $$
DECLARE
  l RECORD;
  v_stock INT;
BEGIN
  IF (SELECT count(*) FROM items i WHERE i.id = ANY(p_items)) <> cardinality(p_items) THEN
    RETURN 'no_item';
  END IF;
  INSERT INTO stock_returns (reference) VALUES (p_reference) ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    IF EXISTS (
      (SELECT m.item_id, m.delta FROM stock_movements m WHERE m.reference = p_reference AND m.kind = 'return')
      EXCEPT ALL (SELECT t.id, t.q FROM unnest(p_items, p_quantities) t(id, q))
    ) OR (SELECT count(*) FROM stock_movements m WHERE m.reference = p_reference AND m.kind = 'return') <> cardinality(p_items) THEN
      RETURN 'reference_mismatch';
    END IF;
    RETURN 'already_returned';
  END IF;
  FOR l IN SELECT t.id, t.q FROM unnest(p_items, p_quantities) t(id, q) ORDER BY t.id LOOP
    UPDATE items SET stock_count = stock_count + l.q, updated_at = now() WHERE id = l.id RETURNING stock_count INTO v_stock;
    INSERT INTO stock_movements (id, item_id, kind, delta, stock_after, reference)
      VALUES (gen_random_uuid(), l.id, 'return', l.q, v_stock, p_reference);
  END LOOP;
  RETURN 'returned';
END $$;
