import type { BooksRepo, LedgerFact, MissingDebitOutcome, WalletFact } from '../domain/model';
import type { Db } from './db';

/** Below every uuid: the first page's keyset bound (a plain `id > $1` keeps each page one index range scan). */
const FIRST = '00000000-0000-0000-0000-000000000000';

type LedgerFactRow = { id: string; customer_id: string; type: 'purchase' | 'refund'; amount_cents: bigint; reference: string };
const toFact = (row: LedgerFactRow): LedgerFact => ({
  id: row.id,
  customerId: row.customer_id,
  type: row.type,
  amountCents: Number(row.amount_cents),
  reference: row.reference,
});
const FACT_COLUMNS = 'id, customer_id, type, amount_cents, reference';

/** The books audit's reads of the wallet ledger, and the one repair it may make here (a debit a restore lost). */
export function booksRepo(db: Db): BooksRepo {
  return {
    /** The (type, reference) unique index answers each reference. */
    async ledgerByReferences(references) {
      const rows = await db.sql.query<LedgerFactRow>(
        `SELECT ${FACT_COLUMNS} FROM ledger_entries WHERE type IN ('purchase', 'refund') AND reference = ANY($1::varchar[]) ORDER BY id`,
        references,
      );
      return rows.map(toFact);
    },

    async existingCustomers(ids) {
      if (!ids.length) return [];
      const rows = await db.sql.query<{ id: string }>('SELECT id FROM customers WHERE id = ANY($1::uuid[])', ids);
      return rows.map((row) => row.id);
    },

    async ledgerPage(after, limit) {
      const rows = await db.sql.query<LedgerFactRow>(
        `SELECT ${FACT_COLUMNS} FROM ledger_entries WHERE id > $1::uuid AND type IN ('purchase', 'refund') ORDER BY id LIMIT $2`,
        after ?? FIRST,
        limit,
      );
      return rows.map(toFact);
    },

    /** Each wallet's balance beside its ledger's sum (the (customer_id, seq) index reads one customer's rows). */
    async walletsPage(after, limit) {
      const rows = await db.sql.query<{ id: string; balance_cents: bigint; ledger_sum: bigint }>(
        `SELECT c.id, c.balance_cents, (SELECT coalesce(sum(l.amount_cents), 0) FROM ledger_entries l WHERE l.customer_id = c.id)::bigint AS ledger_sum
         FROM customers c WHERE c.id > $1::uuid ORDER BY c.id LIMIT $2`,
        after ?? FIRST,
        limit,
      );
      return rows.map((row): WalletFact => ({ id: row.id, balanceCents: Number(row.balance_cents), ledgerSumCents: Number(row.ledger_sum) }));
    },

    /**
     * The purchase's debit, by its reference (the sale id), without the buyer's session: the audit records a debit
     * that a restore lost (customers' dump was taken before the sale completed). Same rules as wallet_debit: the
     * customer's row lock first, once per reference, refused after a tombstone, never below zero.
     */
    async recordMissingDebit(customerId, amountCents, reference) {
      return db.sql.transaction(async (tx): Promise<MissingDebitOutcome> => {
        const [customer] = await tx.query<{ balance_cents: bigint }>('SELECT balance_cents FROM customers WHERE id = $1::uuid FOR UPDATE', customerId);
        if (!customer) return 'no_customer';
        const [entry] = await tx.query<{ customer_id: string; amount_cents: bigint }>(
          `SELECT customer_id, amount_cents FROM ledger_entries WHERE type = 'purchase' AND reference = $1`,
          reference,
        );
        if (entry) return entry.customer_id === customerId && Number(entry.amount_cents) === -amountCents ? 'already_debited' : 'reference_mismatch';
        const [voided] = await tx.query('SELECT 1 FROM voided_references WHERE reference = $1', reference);
        if (voided) return 'voided';
        const [after] = await tx.query<{ balance_cents: bigint }>(
          'UPDATE customers SET balance_cents = balance_cents - $2, updated_at = now() WHERE id = $1::uuid AND balance_cents >= $2 RETURNING balance_cents',
          customerId,
          amountCents,
        );
        if (!after) return 'insufficient_funds';
        await tx.execute(
          `INSERT INTO ledger_entries (id, customer_id, type, amount_cents, balance_after_cents, reference)
           VALUES (gen_random_uuid(), $1::uuid, 'purchase', $2, $3, $4)`,
          customerId,
          -amountCents,
          after.balance_cents,
          reference,
        );
        return 'debited';
      });
    },
  };
}
