-- Debit and refund as one statement each (one round trip, no client-held transaction), with the same
-- serialisation as before: the customer's row lock is taken first, and every later statement in these
-- VOLATILE functions reads a fresh snapshot (READ COMMITTED), so a refund's tombstone committed while a
-- debit waited for the lock is seen, and the late debit is refused.
-- Both answer one row: the outcome and, where there is one, the ledger entry it concerns.

CREATE FUNCTION wallet_debit(
  p_customer UUID, p_amount BIGINT, p_reference VARCHAR,
  OUT outcome TEXT, OUT entry_id UUID, OUT entry_type TEXT, OUT entry_amount BIGINT,
  OUT entry_balance_after BIGINT, OUT entry_reference VARCHAR, OUT entry_created_at TIMESTAMPTZ
) LANGUAGE plpgsql AS $$
DECLARE
  e ledger_entries%ROWTYPE;
  new_balance BIGINT;
BEGIN
  PERFORM 1 FROM customers WHERE id = p_customer FOR UPDATE;
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
    UPDATE customers SET balance_cents = balance_cents - p_amount, updated_at = now()
      WHERE id = p_customer AND balance_cents >= p_amount
      RETURNING balance_cents INTO new_balance;
    IF NOT FOUND THEN
      outcome := 'insufficient_funds';
      RETURN;
    END IF;
    INSERT INTO ledger_entries (id, customer_id, type, amount_cents, balance_after_cents, reference)
      VALUES (gen_random_uuid(), p_customer, 'purchase', -p_amount, new_balance, p_reference)
      RETURNING * INTO e;
    outcome := 'debited';
  END IF;
  SELECT e.id, e.type, e.amount_cents, e.balance_after_cents, e.reference, e.created_at
    INTO entry_id, entry_type, entry_amount, entry_balance_after, entry_reference, entry_created_at;
END $$;

CREATE FUNCTION wallet_refund(
  p_customer UUID, p_reference VARCHAR,
  OUT outcome TEXT, OUT entry_id UUID, OUT entry_type TEXT, OUT entry_amount BIGINT,
  OUT entry_balance_after BIGINT, OUT entry_reference VARCHAR, OUT entry_created_at TIMESTAMPTZ
) LANGUAGE plpgsql AS $$
DECLARE
  e ledger_entries%ROWTYPE;
  new_balance BIGINT;
BEGIN
  PERFORM 1 FROM customers WHERE id = p_customer FOR UPDATE;
  SELECT * INTO e FROM ledger_entries WHERE type = 'refund' AND reference = p_reference AND customer_id = p_customer;
  IF FOUND THEN
    outcome := 'already_refunded';
  ELSE
    SELECT * INTO e FROM ledger_entries WHERE type = 'purchase' AND reference = p_reference AND customer_id = p_customer;
    IF NOT FOUND THEN
      -- Nothing to refund (yet): a tombstone, so the debit is refused if it arrives late.
      INSERT INTO voided_references (reference) VALUES (p_reference) ON CONFLICT DO NOTHING;
      outcome := 'voided';
      RETURN;
    END IF;
    UPDATE customers SET balance_cents = balance_cents - e.amount_cents, updated_at = now()
      WHERE id = p_customer
      RETURNING balance_cents INTO new_balance;
    INSERT INTO ledger_entries (id, customer_id, type, amount_cents, balance_after_cents, reference)
      VALUES (gen_random_uuid(), p_customer, 'refund', -e.amount_cents, new_balance, p_reference)
      RETURNING * INTO e;
    outcome := 'refunded';
  END IF;
  SELECT e.id, e.type, e.amount_cents, e.balance_after_cents, e.reference, e.created_at
    INTO entry_id, entry_type, entry_amount, entry_balance_after, entry_reference, entry_created_at;
END $$;
