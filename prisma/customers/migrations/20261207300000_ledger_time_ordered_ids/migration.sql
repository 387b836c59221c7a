-- A purchase's ledger entry gets a time-ordered id (uuid_v7(), migration 20261207000000_retention; issue 23: the
-- purchase rate at a million sales). A random id lands on a random leaf of the ledger's primary key: at a million
-- entries a page rarely in shared_buffers, read first and written whole into the WAL after each checkpoint. The
-- debit's insert read 2.8 pages and wrote 19 KB of WAL per purchase there, against 0.6 KB small; a v7 id lands
-- beside the last one, on a page already cached. Catalogue-only (a default and a function). Deposits, adjustments and refunds keep random ids: ids are
-- opaque, and they are a small share of the writes.
ALTER TABLE "ledger_entries" ALTER COLUMN "id" SET DEFAULT uuid_v7();

CREATE OR REPLACE FUNCTION wallet_debit(
  p_customer UUID, p_amount BIGINT, p_reference VARCHAR, p_session UUID,
  OUT outcome TEXT, OUT entry_id UUID, OUT entry_type TEXT, OUT entry_amount BIGINT,
  OUT entry_balance_after BIGINT, OUT entry_reference VARCHAR, OUT entry_reason VARCHAR, OUT entry_created_at TIMESTAMPTZ
) LANGUAGE plpgsql AS $$
DECLARE
  e ledger_entries%ROWTYPE;
  new_balance BIGINT;
BEGIN
  PERFORM 1 FROM customers WHERE id = p_customer FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    outcome := 'no_customer';
    RETURN;
  END IF;
  SELECT * INTO e FROM ledger_entries WHERE type = 'purchase' AND reference = p_reference;
  IF FOUND THEN
    IF e.customer_id <> p_customer OR e.amount_cents <> -p_amount THEN
      outcome := 'reference_mismatch';
      RETURN;
    END IF;
    outcome := 'already_debited';
  ELSIF EXISTS (SELECT 1 FROM voided_references WHERE reference = p_reference) THEN
    outcome := 'voided';
    RETURN;
  ELSE
    -- Checked only for a debit still to be made: a retry of one made while the session was live answers as before,
    -- so `session_ended` always means that nothing was ever charged for this reference.
    PERFORM 1 FROM sessions WHERE id = p_session AND customer_id = p_customer AND expires_at > now() FOR SHARE;
    IF NOT FOUND THEN
      outcome := 'session_ended';
      RETURN;
    END IF;
    UPDATE customers SET balance_cents = balance_cents - p_amount, updated_at = now()
      WHERE id = p_customer AND balance_cents >= p_amount
      RETURNING balance_cents INTO new_balance;
    IF NOT FOUND THEN
      outcome := 'insufficient_funds';
      RETURN;
    END IF;
    INSERT INTO ledger_entries (id, customer_id, type, amount_cents, balance_after_cents, reference)
      VALUES (uuid_v7(), p_customer, 'purchase', -p_amount, new_balance, p_reference)
      RETURNING * INTO e;
    outcome := 'debited';
  END IF;
  SELECT e.id, e.type, e.amount_cents, e.balance_after_cents, e.reference, e.reason, e.created_at
    INTO entry_id, entry_type, entry_amount, entry_balance_after, entry_reference, entry_reason, entry_created_at;
END $$;
