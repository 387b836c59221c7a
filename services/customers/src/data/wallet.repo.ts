import type { Db } from './db';

export type LedgerType = 'deposit' | 'purchase' | 'refund';
export interface LedgerEntry {
  id: string;
  type: LedgerType;
  amountCents: number;
  balanceAfterCents: number;
  reference: string | null;
  createdAt: string;
}

interface LedgerRow {
  id: string;
  type: LedgerType;
  amount_cents: bigint;
  balance_after_cents: bigint;
  reference: string | null;
  created_at: Date;
}
const RETURNING = 'RETURNING id, type, amount_cents, balance_after_cents, reference, created_at';

function toEntry(row: LedgerRow): LedgerEntry {
  return {
    id: row.id,
    type: row.type,
    amountCents: Number(row.amount_cents),
    balanceAfterCents: Number(row.balance_after_cents),
    reference: row.reference,
    createdAt: row.created_at.toISOString(),
  };
}

export type DebitResult =
  | { outcome: 'debited' | 'already_debited'; entry: LedgerEntry }
  | { outcome: 'insufficient_funds' | 'no_customer' | 'voided' | 'reference_mismatch' };
export type RefundResult = { outcome: 'refunded' | 'already_refunded'; entry: LedgerEntry } | { outcome: 'voided' };

/**
 * Every balance change is the balance update and its ledger row in one transaction, so the balance always
 * equals the ledger's sum; `CHECK (balance_cents >= 0)` makes overdrawing impossible even for a buggy caller.
 * Debits and refunds for a customer first lock that customer's row, which serialises them: a refund that
 * arrives before its debit leaves a tombstone, and the late debit then sees it and is refused.
 */
export function walletRepo(db: Db) {
  return {
    async deposit(customerId: string, amountCents: number): Promise<LedgerEntry> {
      const rows = await db.sql.query<LedgerRow>(
        `WITH c AS (UPDATE customers SET balance_cents = balance_cents + $2::bigint, updated_at = now()
                    WHERE id = $1::uuid RETURNING id, balance_cents)
         INSERT INTO ledger_entries (id, customer_id, type, amount_cents, balance_after_cents)
         SELECT gen_random_uuid(), c.id, 'deposit', $2::bigint, c.balance_cents FROM c ${RETURNING}`,
        customerId,
        amountCents,
      );
      if (!rows[0]) throw new Error('customer vanished during deposit');
      return toEntry(rows[0]);
    },

    async debit(customerId: string, amountCents: number, reference: string): Promise<DebitResult> {
      return db.sql.transaction(async (tx) => {
        const locked = await tx.query<unknown>('SELECT 1 FROM customers WHERE id = $1::uuid FOR UPDATE', customerId);
        if (!locked.length) return { outcome: 'no_customer' };
        const [earlier] = await tx.query<(LedgerRow & { customer_id: string })>(
          `SELECT id, type, amount_cents, balance_after_cents, reference, created_at, customer_id::text
           FROM ledger_entries WHERE type = 'purchase' AND reference = $1`,
          reference,
        );
        if (earlier) {
          const same = earlier.customer_id === customerId && Number(earlier.amount_cents) === -amountCents;
          return same ? { outcome: 'already_debited', entry: toEntry(earlier) } : { outcome: 'reference_mismatch' };
        }
        const voided = await tx.query<unknown>('SELECT 1 FROM voided_references WHERE reference = $1', reference);
        if (voided.length) return { outcome: 'voided' };
        const rows = await tx.query<LedgerRow>(
          `WITH c AS (UPDATE customers SET balance_cents = balance_cents - $2::bigint, updated_at = now()
                      WHERE id = $1::uuid AND balance_cents >= $2::bigint RETURNING id, balance_cents)
           INSERT INTO ledger_entries (id, customer_id, type, amount_cents, balance_after_cents, reference)
           SELECT gen_random_uuid(), c.id, 'purchase', -$2::bigint, c.balance_cents, $3 FROM c ${RETURNING}`,
          customerId,
          amountCents,
          reference,
        );
        return rows[0] ? { outcome: 'debited', entry: toEntry(rows[0]) } : { outcome: 'insufficient_funds' };
      });
    },

    async refund(customerId: string, reference: string): Promise<RefundResult> {
      return db.sql.transaction(async (tx) => {
        await tx.query('SELECT 1 FROM customers WHERE id = $1::uuid FOR UPDATE', customerId);
        const entries = await tx.query<LedgerRow>(
          `SELECT id, type, amount_cents, balance_after_cents, reference, created_at
           FROM ledger_entries WHERE reference = $1 AND type IN ('purchase', 'refund') AND customer_id = $2::uuid`,
          reference,
          customerId,
        );
        const refund = entries.find((entry) => entry.type === 'refund');
        if (refund) return { outcome: 'already_refunded', entry: toEntry(refund) };
        const purchase = entries.find((entry) => entry.type === 'purchase');
        if (!purchase) {
          await tx.execute('INSERT INTO voided_references (reference) VALUES ($1) ON CONFLICT DO NOTHING', reference);
          return { outcome: 'voided' };
        }
        const rows = await tx.query<LedgerRow>(
          `WITH c AS (UPDATE customers SET balance_cents = balance_cents + $2::bigint, updated_at = now()
                      WHERE id = $1::uuid RETURNING id, balance_cents)
           INSERT INTO ledger_entries (id, customer_id, type, amount_cents, balance_after_cents, reference)
           SELECT gen_random_uuid(), c.id, 'refund', $2::bigint, c.balance_cents, $3 FROM c ${RETURNING}`,
          customerId,
          -Number(purchase.amount_cents),
          reference,
        );
        return { outcome: 'refunded', entry: toEntry(rows[0]!) };
      });
    },

    async listEntries(customerId: string, page: { limit: number; offset: number }) {
      const [rows, total] = await Promise.all([
        db.prisma.ledgerEntry.findMany({ where: { customerId }, orderBy: { seq: 'desc' }, take: page.limit, skip: page.offset }),
        db.prisma.ledgerEntry.count({ where: { customerId } }),
      ]);
      return {
        total,
        data: rows.map((row) =>
          toEntry({ ...row, amount_cents: row.amountCents, balance_after_cents: row.balanceAfterCents, created_at: row.createdAt }),
        ),
      };
    },

    async findEntry(customerId: string, id: string): Promise<LedgerEntry | undefined> {
      const row = await db.prisma.ledgerEntry.findFirst({ where: { customerId, id } });
      return row ? toEntry({ ...row, amount_cents: row.amountCents, balance_after_cents: row.balanceAfterCents, created_at: row.createdAt }) : undefined;
    },
  };
}
export type WalletRepo = ReturnType<typeof walletRepo>;
