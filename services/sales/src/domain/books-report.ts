/**
 * The kinds of drift the books audit knows, each with what its repair is (or that a person must decide). The
 * `books_drift` gauge has one series per kind.
 */
export const DRIFT_KINDS = {
  missing_debit: 'a completed sale has no purchase debit: recorded now (the saga’s debit, by the sale id)',
  double_debit: 'a sale has more than one purchase debit: a person decides which is real',
  debit_mismatch: 'a completed sale’s debit is for another amount or customer: a person decides',
  completed_sale_undone: 'a completed sale’s debit was refunded as if it had failed: a person decides',
  failed_sale_charged: 'a failed sale’s debit was never given back: given back now (the saga’s undo)',
  missing_stock_movement: 'a completed sale took no stock: taken now (the saga’s take, by the sale id)',
  stock_movement_mismatch: 'a completed sale’s stock movements do not match its lines: a person decides',
  failed_sale_stock_taken: 'a failed sale still holds stock (an orphaned reservation): released now (the saga’s undo)',
  stuck_refund: 'a refund is pending past the sweep’s age: --repair drives it forward (the sweep’s own steps)',
  missing_refund_credit: 'a completed refund has no credit: credited now (the refund’s own step)',
  double_credit: 'a refund was credited more than once: a person decides',
  credit_mismatch: 'a refund’s credit is for another amount or customer: a person decides',
  missing_return: 'a completed restocking refund returned no stock: returned now (the refund’s own step)',
  return_mismatch: 'a refund’s return movements do not match its lines: a person decides',
  orphan_ledger_entry: 'a ledger entry names no sale or refund sales knows: a debit is given back (undo); a credit needs a person',
  orphan_movement: 'a stock movement names no sale or refund sales knows: a reservation is released (undo); else a person',
  wallet_balance: 'a wallet’s balance is not the sum of its ledger: a person decides',
  item_stock: 'an item’s stock is not the sum of its movements: a person decides',
} as const;
export type DriftKind = keyof typeof DRIFT_KINDS;

export interface Discrepancy {
  kind: DriftKind;
  /** The ids involved (sale, refund, customer, item, entries, movements). */
  ids: Record<string, string | string[]>;
  detail: string;
  /** With --repair: `repaired`, `failed` (the repair step refused or could not run) or `needs a person`. */
  repair?: 'repaired' | 'failed' | 'needs a person';
}

export interface AuditReport {
  startedAt: string;
  finishedAt: string;
  repair: boolean;
  counted: { sales: number; refunds: number; ledgerEntries: number; movements: number; wallets: number; items: number };
  /** In flight, never drift: how many, and the oldest one's age. */
  pending: { sales: number; oldestSaleAgeSeconds: number; refunds: number; oldestRefundAgeSeconds: number };
  /** Every kind, found (0 when none). */
  drift: Record<DriftKind, number>;
  /** Drift found and not repaired (the command's exit code is 1 when this is above 0). */
  unrepaired: number;
  repaired: number;
  /** The first `listLimit` discrepancies (the counts above are complete). */
  discrepancies: Discrepancy[];
  listed: number;
}

/** Collects a run's findings with flat memory: complete counts, a bounded list. Repairs run as they are found. */
export function reportBuilder(options: { repair: boolean; listLimit: number }) {
  const started = Date.now();
  const drift = Object.fromEntries(Object.keys(DRIFT_KINDS).map((kind) => [kind, 0])) as Record<DriftKind, number>;
  const discrepancies: Discrepancy[] = [];
  const counted = { sales: 0, refunds: 0, ledgerEntries: 0, movements: 0, wallets: 0, items: 0 };
  const pending = { sales: 0, oldestSaleAgeSeconds: 0, refunds: 0, oldestRefundAgeSeconds: 0 };
  let repaired = 0;
  let unrepaired = 0;

  return {
    counted,
    pending(kind: 'sale' | 'refund', createdAt: Date) {
      const age = Math.max(0, Math.round((Date.now() - createdAt.getTime()) / 1000));
      if (kind === 'sale') {
        pending.sales += 1;
        pending.oldestSaleAgeSeconds = Math.max(pending.oldestSaleAgeSeconds, age);
      } else {
        pending.refunds += 1;
        pending.oldestRefundAgeSeconds = Math.max(pending.oldestRefundAgeSeconds, age);
      }
    },
    /** One discrepancy; `fix` (the saga's own idempotent step) runs with --repair and answers whether it settled it. */
    async found(discrepancy: Omit<Discrepancy, 'repair'>, fix?: () => Promise<boolean>) {
      drift[discrepancy.kind] += 1;
      let repair: Discrepancy['repair'];
      if (options.repair) {
        repair = fix ? ((await fix().catch(() => false)) ? 'repaired' : 'failed') : 'needs a person';
        if (repair === 'repaired') repaired += 1;
      }
      if (repair !== 'repaired') unrepaired += 1;
      if (discrepancies.length < options.listLimit) discrepancies.push({ ...discrepancy, ...(repair && { repair }) });
    },
    finish(): AuditReport {
      return {
        startedAt: new Date(started).toISOString(),
        finishedAt: new Date().toISOString(),
        repair: options.repair,
        counted,
        pending,
        drift,
        unrepaired,
        repaired,
        discrepancies,
        listed: discrepancies.length,
      };
    },
  };
}
export type ReportBuilder = ReturnType<typeof reportBuilder>;

/** Rows grouped by a key, in their order. */
export const groupBy = <T>(rows: T[], key: (row: T) => string) => {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(key(row));
    if (group) group.push(row);
    else groups.set(key(row), [row]);
  }
  return groups;
};
