import { bySeq, keysetPage, prepared, type ListOptions, type PageQuery } from '@shop/kit';
import type { AdjustResult, CreditResult, DebitResult, DepositResult, LedgerEntry, LedgerType, RefundResult, WalletRepo } from '../domain/model';
import type { Db } from './db';

interface LedgerRow {
  id: string;
  type: LedgerType;
  amount_cents: bigint;
  balance_after_cents: bigint;
  reference: string | null;
  reason: string | null;
  created_at: Date;
}

function toEntry(row: LedgerRow): LedgerEntry {
  return {
    id: row.id,
    type: row.type,
    amountCents: Number(row.amount_cents),
    balanceAfterCents: Number(row.balance_after_cents),
    reference: row.reference,
    ...(row.reason !== null && row.reason !== undefined && { reason: row.reason }),
    createdAt: row.created_at.toISOString(),
  };
}

/** What wallet_debit and wallet_refund answer: the outcome, and the ledger entry's columns when there is one. */
type OutcomeRow<O> = { outcome: O } & Partial<LedgerRow>;
const OUTCOME_COLUMNS =
  'outcome, entry_id AS id, entry_type AS type, entry_amount AS amount_cents, entry_balance_after AS balance_after_cents, entry_reference AS reference, entry_created_at AS created_at';
/** The functions of migration 20261206200100 also answer the entry's reason (an adjustment's). */
const WITH_REASON = `${OUTCOME_COLUMNS}, entry_reason AS reason`;
export const DEBIT = prepared('wallet.debit', `SELECT ${WITH_REASON} FROM wallet_debit($1::uuid, $2::bigint, $3, $4::uuid)`);
const DEPOSIT = prepared('wallet.deposit', `SELECT ${WITH_REASON} FROM wallet_deposit($1::uuid, $2::bigint, $3::bigint)`);
const ADJUST = prepared('wallet.adjust', `SELECT ${WITH_REASON} FROM wallet_adjust($1::uuid, $2::bigint, $3)`);
const REFUND = prepared('wallet.refund', `SELECT ${OUTCOME_COLUMNS} FROM wallet_refund($1::uuid, $2)`);
export const CREDIT = prepared('wallet.credit', `SELECT ${OUTCOME_COLUMNS} FROM wallet_credit($1::uuid, $2::bigint, $3)`);
export const BALANCE = prepared('wallet.balance', 'SELECT balance_cents FROM customers WHERE id = $1::uuid');
/** The outcome, with the ledger entry when the function named one (entry_id is set). */
const withEntry = <O>(row: OutcomeRow<O>) => (row.id ? { outcome: row.outcome, entry: toEntry(row as LedgerRow) } : { outcome: row.outcome });

/**
 * Every balance change is the balance update and its ledger row in one statement or transaction, so the
 * balance always equals the ledger's sum; `CHECK (balance_cents >= 0)` makes overdrawing impossible even for
 * a buggy caller. Debits and refunds are the database functions wallet_debit and wallet_refund (migration
 * 20261125230000): one round trip each; both lock the customer's row first, which serialises them, so a
 * refund that arrives before its debit leaves a tombstone, and the late debit then sees it and is refused.
 */
export function walletRepo(db: Db, lists: ListOptions): WalletRepo {
  return {
    /** wallet_deposit: the customer's row lock serialises deposits, so concurrent ones cannot both fit under the limit. */
    async deposit(customerId: string, amountCents: number, limitCents: number): Promise<DepositResult> {
      const [row] = await db.sql.query<OutcomeRow<DepositResult['outcome']>>(DEPOSIT, customerId, amountCents, limitCents);
      return withEntry(row!) as DepositResult;
    },

    async adjust(customerId: string, amountCents: number, reason: string): Promise<AdjustResult> {
      const [row] = await db.sql.query<OutcomeRow<AdjustResult['outcome']>>(ADJUST, customerId, amountCents, reason);
      return withEntry(row!) as AdjustResult;
    },

    async debit(customerId: string, amountCents: number, reference: string, sessionId: string): Promise<DebitResult> {
      const [row] = await db.sql.query<OutcomeRow<DebitResult['outcome']>>(DEBIT, customerId, amountCents, reference, sessionId);
      return withEntry(row!) as DebitResult;
    },

    async balance(customerId: string): Promise<number | undefined> {
      const [row] = await db.sql.query<{ balance_cents: bigint }>(BALANCE, customerId);
      return row && Number(row.balance_cents);
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

    /** Newest first, by the index on (customer_id, seq DESC). */
    async listEntries(customerId: string, page: PageQuery) {
      const { rows, listed } = await keysetPage<LedgerRow>(
        db.sql,
        {
          binding: ['wallet-transactions', customerId],
          select: 'id, type, amount_cents, balance_after_cents, reference, reason, created_at',
          from: 'ledger_entries',
          where: ['customer_id = $1::uuid'],
          params: [customerId],
          keys: bySeq(),
          descending: true,
        },
        page,
        lists,
      );
      return { ...listed, data: rows.map(toEntry) };
    },

    async findEntry(customerId: string, id: string): Promise<LedgerEntry | undefined> {
      const row = await db.prisma.ledgerEntry.findFirst({ where: { customerId, id } });
      return row ? toEntry({ ...row, amount_cents: row.amountCents, balance_after_cents: row.balanceAfterCents, created_at: row.createdAt }) : undefined;
    },
  };
}
