-- Contract v4: a rolling 24 h deposit limit, admin adjustments with a reason, and debits only for a live session.

-- An adjustment carries why it was made (required for adjustments, absent for everything else).
ALTER TABLE "ledger_entries" ADD COLUMN "reason" VARCHAR(200);
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_reason_for_adjustments"
  CHECK (("type" = 'adjustment') = ("reason" IS NOT NULL));
-- Purchases take money, deposits and refunds give it; an adjustment goes either way (never 0: amount_non_zero).
ALTER TABLE "ledger_entries" DROP CONSTRAINT "ledger_entries_sign_matches_type";
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_sign_matches_type"
  CHECK ("type" = 'adjustment' OR ("type" = 'purchase') = ("amount_cents" < 0));

-- The deposit limit sums a customer's deposits of the last 24 h: this index serves it at any ledger size.
CREATE INDEX "ledger_entries_customer_id_type_created_at_idx" ON "ledger_entries"("customer_id", "type", "created_at");

-- A deposit within the limit, as one statement: the customer's row lock (taken first, as every wallet function
-- does) serialises deposits, and the sum that follows reads a fresh snapshot (READ COMMITTED, VOLATILE), so two
-- concurrent deposits can never both fit under the limit that only one of them fits. The row lock is FOR NO KEY
-- UPDATE, as the balance update itself would take: it orders wallet changes without holding up a login, whose new
-- session row only needs the customer's key share.
CREATE FUNCTION wallet_deposit(
  p_customer UUID, p_amount BIGINT, p_limit BIGINT,
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
  IF (SELECT coalesce(sum(amount_cents), 0) FROM ledger_entries
      WHERE customer_id = p_customer AND type = 'deposit' AND created_at > now() - interval '24 hours') + p_amount > p_limit THEN
    outcome := 'limit_exceeded';
    RETURN;
  END IF;
  UPDATE customers SET balance_cents = balance_cents + p_amount, updated_at = now()
    WHERE id = p_customer RETURNING balance_cents INTO new_balance;
  INSERT INTO ledger_entries (id, customer_id, type, amount_cents, balance_after_cents)
    VALUES (gen_random_uuid(), p_customer, 'deposit', p_amount, new_balance)
    RETURNING * INTO e;
  outcome := 'deposited';
  SELECT e.id, e.type, e.amount_cents, e.balance_after_cents, e.reference, e.reason, e.created_at
    INTO entry_id, entry_type, entry_amount, entry_balance_after, entry_reference, entry_reason, entry_created_at;
END $$;

-- An admin's adjustment (either sign, no limit); a result below zero is refused.
CREATE FUNCTION wallet_adjust(
  p_customer UUID, p_amount BIGINT, p_reason VARCHAR,
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
  UPDATE customers SET balance_cents = balance_cents + p_amount, updated_at = now()
    WHERE id = p_customer AND balance_cents + p_amount >= 0
    RETURNING balance_cents INTO new_balance;
  IF NOT FOUND THEN
    outcome := 'insufficient_funds';
    RETURN;
  END IF;
  INSERT INTO ledger_entries (id, customer_id, type, amount_cents, balance_after_cents, reason)
    VALUES (gen_random_uuid(), p_customer, 'adjustment', p_amount, new_balance, p_reason)
    RETURNING * INTO e;
  outcome := 'adjusted';
  SELECT e.id, e.type, e.amount_cents, e.balance_after_cents, e.reference, e.reason, e.created_at
    INTO entry_id, entry_type, entry_amount, entry_balance_after, entry_reference, entry_reason, entry_created_at;
END $$;

-- A debit now names the buyer's session, and is made only while that session is live: its row still exists (an
-- ended session is a deleted row), belongs to the customer and has not expired. The session row is read FOR SHARE
-- after the customer's lock (the order a deletion of the customer takes them in), so a logout deleting it either
-- committed before (the debit is refused) or waits until the debit has committed.
DROP FUNCTION wallet_debit(UUID, BIGINT, VARCHAR);
CREATE FUNCTION wallet_debit(
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
      VALUES (gen_random_uuid(), p_customer, 'purchase', -p_amount, new_balance, p_reference)
      RETURNING * INTO e;
    outcome := 'debited';
  END IF;
  SELECT e.id, e.type, e.amount_cents, e.balance_after_cents, e.reference, e.reason, e.created_at
    INTO entry_id, entry_type, entry_amount, entry_balance_after, entry_reference, entry_reason, entry_created_at;
END $$;
