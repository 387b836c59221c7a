import { prepared } from '@shop/kit';
import type { CreditResult, DebitResult, LedgerEntry, LedgerType, RefundResult, WalletRepo } from '../domain/model';
import type { Db } from './db';

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

/** What wallet_debit and wallet_refund answer: the outcome, and the ledger entry's columns when there is one. */
type OutcomeRow<O> = { outcome: O } & Partial<LedgerRow>;
const OUTCOME_COLUMNS =
  'outcome, entry_id AS id, entry_type AS type, entry_amount AS amount_cents, entry_balance_after AS balance_after_cents, entry_reference AS reference, entry_created_at AS created_at';
export const DEBIT = prepared('wallet.debit', `SELECT ${OUTCOME_COLUMNS} FROM wallet_debit($1::uuid, $2::bigint, $3)`);
const REFUND = prepared('wallet.refund', `SELECT ${OUTCOME_COLUMNS} FROM wallet_refund($1::uuid, $2)`);
export const CREDIT = prepared('wallet.credit', `SELECT ${OUTCOME_COLUMNS} FROM wallet_credit($1::uuid, $2::bigint, $3)`);
/** The outcome, with the ledger entry when the function named one (entry_id is set). */
const withEntry = <O>(row: OutcomeRow<O>) => (row.id ? { outcome: row.outcome, entry: toEntry(row as LedgerRow) } : { outcome: row.outcome });

/**
 * Every balance change is the balance update and its ledger row in one statement or transaction, so the
 * balance always equals the ledger's sum; `CHECK (balance_cents >= 0)` makes overdrawing impossible even for
 * a buggy caller. Debits and refunds are the database functions wallet_debit and wallet_refund (migration
 * 20261125230000): one round trip each; both lock the customer's row first, which serialises them, so a
 * refund that arrives before its debit leaves a tombstone, and the late debit then sees it and is refused.
 */
export function walletRepo(db: Db): WalletRepo {
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
      const [row] = await db.sql.query<OutcomeRow<DebitResult['outcome']>>(DEBIT, customerId, amountCents, reference);
      return withEntry(row!) as DebitResult;
    },

    async refund(customerId: string, reference: string): Promise<RefundResult> {
      const [row] = await db.sql.query<OutcomeRow<RefundResult['outcome']>>(REFUND, customerId, reference);
      return withEntry(row!) as RefundResult;
    },

    /** Money back for a refund of a sale (reference = the refund id), once per reference: wallet_credit (migration 20261130060000). */
    async credit(customerId: string, amountCents: number, reference: string): Promise<CreditResult> {
      const [row] = await db.sql.query<OutcomeRow<CreditResult['outcome']>>(CREDIT, customerId, amountCents, reference);
      return withEntry(row!) as CreditResult;
    },

    async listEntries(customerId: string, page: { limit: number; offset: number }) {
      const [rows, total] = await Promise.all([
        db.prisma.ledgerEntry.findMany({ where: { customerId }, orderBy: { seq: 'desc' }, take: page.limit, skip: page.offset }),
        db.prisma.ledgerEntry.count({ where: { customerId } }),
      ]);
      return {
        total,
        data: rows.map((row) => toEntry({ ...row, amount_cents: row.amountCents, balance_after_cents: row.balanceAfterCents, created_at: row.createdAt })),
      };
    },

    async findEntry(customerId: string, id: string): Promise<LedgerEntry | undefined> {
      const row = await db.prisma.ledgerEntry.findFirst({ where: { customerId, id } });
      return row ? toEntry({ ...row, amount_cents: row.amountCents, balance_after_cents: row.balanceAfterCents, created_at: row.createdAt }) : undefined;
    },
  };
}
