-- A credit for a refund of a sale (reference = the refund id): one statement, idempotent by reference, locking
-- the customer's row first like wallet_debit and wallet_refund. Answers one row: the outcome and, where there
-- is one, the ledger entry (type refund).
CREATE FUNCTION wallet_credit(
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
  SELECT * INTO e FROM ledger_entries WHERE type = 'refund' AND reference = p_reference;
  IF FOUND THEN
    IF e.customer_id <> p_customer OR e.amount_cents <> p_amount THEN
      outcome := 'reference_mismatch';
      RETURN;
    END IF;
    outcome := 'already_credited';
  ELSE
    UPDATE customers SET balance_cents = balance_cents + p_amount, updated_at = now()
      WHERE id = p_customer
      RETURNING balance_cents INTO new_balance;
    INSERT INTO ledger_entries (id, customer_id, type, amount_cents, balance_after_cents, reference)
      VALUES (gen_random_uuid(), p_customer, 'refund', p_amount, new_balance, p_reference)
      RETURNING * INTO e;
    outcome := 'credited';
  END IF;
  SELECT e.id, e.type, e.amount_cents, e.balance_after_cents, e.reference, e.created_at
    INTO entry_id, entry_type, entry_amount, entry_balance_after, entry_reference, entry_created_at;
END $$;
