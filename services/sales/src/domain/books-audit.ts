import crypto from 'node:crypto';
import type { AuditedRefund, AuditedSale, BooksCustomers, BooksInventory, BooksSalesRepo, LedgerFact, MovementFact } from './books-model';
import { orphanPasses } from './books-orphans';
import { groupBy, reportBuilder, type AuditReport, type ReportBuilder } from './books-report';

const sumBy = <T>(rows: T[], key: (row: T) => string, value: (row: T) => number) => {
  const sums = new Map<string, number>();
  for (const row of rows) sums.set(key(row), (sums.get(key(row)) ?? 0) + value(row));
  return sums;
};
/** Whether two per-item sums are the same (every item, both ways). */
const sameSums = (a: Map<string, number>, b: Map<string, number>) => a.size === b.size && [...a].every(([item, sum]) => b.get(item) === sum);

export interface BooksAuditDeps {
  sales: BooksSalesRepo;
  customers: BooksCustomers;
  inventory: BooksInventory;
  pageSize: number;
  /** A refund pending longer than this is stuck (the sweep's age): drift, where a pending sale never is. */
  stuckAgeMs: number;
  /** How many discrepancies a report lists (all are counted). */
  listLimit: number;
  /** With --repair, first: one pass of the recovery sweep (pending refunds driven forward, abandoned sales undone). */
  sweep?: () => Promise<unknown>;
}

/**
 * The books audit: sales' completed sales and refunds against customers' ledger and inventory's stock history,
 * read through their /internal/books/ routes in pages by id (keyset), so memory stays flat whatever the size.
 * Pending sales are in flight: reported by age, never as drift. See docs/operations.md ("Books audit").
 */
export function booksAudit(deps: BooksAuditDeps) {
  const { sales, customers, inventory } = deps;

  async function checkSale(
    report: ReportBuilder,
    sale: AuditedSale,
    entries: LedgerFact[],
    movements: MovementFact[],
    customerExists: boolean,
    reservation?: string,
  ) {
    const requestId = `audit-${crypto.randomUUID()}`;
    const ids = { saleId: sale.id, customerId: sale.customerId };
    const purchases = entries.filter((entry) => entry.type === 'purchase');
    const undone = entries.filter((entry) => entry.type === 'refund');
    const stockSum = movements.reduce((sum, movement) => sum + movement.delta, 0);
    if (sale.status === 'FAILED') {
      if (purchases.length > 1)
        await report.found({ kind: 'double_debit', ids: { ...ids, entries: purchases.map((e) => e.id) }, detail: 'a failed sale debited twice' });
      else if (purchases.length === 1 && undone.length === 0)
        await report.found(
          { kind: 'failed_sale_charged', ids: { ...ids, entryId: purchases[0]!.id }, detail: `debit of ${-purchases[0]!.amountCents} cents kept` },
          async () => {
            return (await customers.refund({ customerId: sale.customerId, reference: sale.id }, requestId)) !== 'voided';
          },
        );
      if (stockSum !== 0 || reservation === 'taken')
        await report.found(
          { kind: 'failed_sale_stock_taken', ids: { ...ids, movements: movements.map((m) => m.id) }, detail: `${-stockSum} units still taken` },
          async () => {
            return (await inventory.release(sale.id, requestId)) !== 'voided';
          },
        );
      return;
    }
    const total = sale.totalCents ?? 0;
    if (customerExists) {
      if (purchases.length === 0)
        await report.found({ kind: 'missing_debit', ids, detail: `no purchase debit of ${total} cents` }, async () => {
          return (await customers.recordMissingDebit({ customerId: sale.customerId, amountCents: total, reference: sale.id }, requestId)) === 'debited';
        });
      else if (purchases.length > 1)
        await report.found({ kind: 'double_debit', ids: { ...ids, entries: purchases.map((e) => e.id) }, detail: `${purchases.length} purchase debits` });
      else if (purchases[0]!.amountCents !== -total || purchases[0]!.customerId !== sale.customerId)
        await report.found({
          kind: 'debit_mismatch',
          ids: { ...ids, entryId: purchases[0]!.id },
          detail: `debit ${-purchases[0]!.amountCents} cents, sale ${total}`,
        });
      if (undone.length)
        await report.found({ kind: 'completed_sale_undone', ids: { ...ids, entries: undone.map((e) => e.id) }, detail: 'its debit was given back' });
    }
    const expected = sumBy(
      sale.lines,
      (line) => line.itemId,
      (line) => -line.quantity,
    );
    const taken = movements.filter((movement) => movement.kind === 'reservation');
    if (!movements.length)
      await report.found({ kind: 'missing_stock_movement', ids, detail: `no stock taken for ${sale.lines.length} line(s)` }, async () => {
        return (await inventory.reserve({ reference: sale.id, lines: sale.lines }, requestId)).outcome === 'reserved';
      });
    else if (
      taken.length !== sale.lines.length ||
      taken.length !== movements.length ||
      !sameSums(
        expected,
        sumBy(
          taken,
          (m) => m.itemId,
          (m) => m.delta,
        ),
      )
    )
      await report.found({
        kind: 'stock_movement_mismatch',
        ids: { ...ids, movements: movements.map((m) => m.id) },
        detail: 'movements do not match the lines',
      });
  }

  async function checkRefund(report: ReportBuilder, refund: AuditedRefund, entries: LedgerFact[], movements: MovementFact[], customerExists: boolean) {
    const requestId = `audit-${crypto.randomUUID()}`;
    const ids = { refundId: refund.id, saleId: refund.saleId, customerId: refund.customerId };
    if (customerExists) {
      const credits = entries.filter((entry) => entry.type === 'refund');
      if (credits.length === 0)
        await report.found({ kind: 'missing_refund_credit', ids, detail: `no credit of ${refund.amountCents} cents` }, async () => {
          await customers.credit({ customerId: refund.customerId, amountCents: refund.amountCents, reference: refund.id }, requestId);
          return true;
        });
      else if (credits.length > 1 || entries.length > 1)
        await report.found({ kind: 'double_credit', ids: { ...ids, entries: entries.map((e) => e.id) }, detail: `${entries.length} entries for one refund` });
      else if (credits[0]!.amountCents !== refund.amountCents || credits[0]!.customerId !== refund.customerId)
        await report.found({
          kind: 'credit_mismatch',
          ids: { ...ids, entryId: credits[0]!.id },
          detail: `credit ${credits[0]!.amountCents} cents, refund ${refund.amountCents}`,
        });
    }
    const expected = refund.restock
      ? sumBy(
          refund.lines,
          (line) => line.itemId,
          (line) => line.quantity,
        )
      : new Map<string, number>();
    const returned = sumBy(
      movements,
      (m) => m.itemId,
      (m) => (m.kind === 'return' ? m.delta : Number.NaN),
    );
    if (refund.restock && !movements.length)
      await report.found({ kind: 'missing_return', ids, detail: `no stock returned for ${refund.lines.length} line(s)` }, async () => {
        await inventory.returnStock({ reference: refund.id, lines: refund.lines }, requestId);
        return true;
      });
    else if (!sameSums(expected, returned))
      await report.found({
        kind: 'return_mismatch',
        ids: { ...ids, movements: movements.map((m) => m.id) },
        detail: 'return movements do not match the lines',
      });
  }

  /** Pass 1: every sale, a page at a time, against the entries and movements that name it. */
  async function salesPass(report: ReportBuilder) {
    for (let after: string | undefined; ;) {
      const page = await sales.salesPage(after, deps.pageSize);
      report.counted.sales += page.length;
      const settled = page.filter((sale) => sale.status !== 'PENDING');
      for (const sale of page) if (sale.status === 'PENDING') report.pending('sale', sale.createdAt);
      if (settled.length) {
        const requestId = `audit-${crypto.randomUUID()}`;
        const references = settled.map((sale) => sale.id);
        const [ledger, stock] = await Promise.all([
          customers.ledgerByReferences(references, [...new Set(settled.map((sale) => sale.customerId))], requestId),
          inventory.movementsByReferences(references, requestId),
        ]);
        const entries = groupBy(ledger.entries, (entry) => entry.reference);
        const movements = groupBy(stock.movements, (movement) => movement.reference);
        for (const sale of settled)
          await checkSale(
            report,
            sale,
            entries.get(sale.id) ?? [],
            movements.get(sale.id) ?? [],
            ledger.existingCustomers.has(sale.customerId),
            stock.reservations.get(sale.id),
          );
      }
      if (page.length < deps.pageSize) return;
      after = page[page.length - 1]!.id;
    }
  }

  /** Pass 2: every refund: a completed one against its credit and returns; a pending one by its age. */
  async function refundsPass(report: ReportBuilder) {
    for (let after: string | undefined; ;) {
      const page = await sales.refundsPage(after, deps.pageSize);
      report.counted.refunds += page.length;
      const completed = page.filter((refund) => refund.status === 'COMPLETED');
      for (const refund of page) {
        if (refund.status !== 'PENDING') continue;
        if (Date.now() - refund.createdAt.getTime() > deps.stuckAgeMs)
          await report.found({
            kind: 'stuck_refund',
            ids: { refundId: refund.id, saleId: refund.saleId },
            detail: `pending since ${refund.createdAt.toISOString()}`,
          });
        else report.pending('refund', refund.createdAt);
      }
      if (completed.length) {
        const requestId = `audit-${crypto.randomUUID()}`;
        const references = completed.map((refund) => refund.id);
        const [ledger, stock] = await Promise.all([
          customers.ledgerByReferences(references, [...new Set(completed.map((refund) => refund.customerId))], requestId),
          inventory.movementsByReferences(references, requestId),
        ]);
        const entries = groupBy(ledger.entries, (entry) => entry.reference);
        const movements = groupBy(stock.movements, (movement) => movement.reference);
        for (const refund of completed)
          await checkRefund(report, refund, entries.get(refund.id) ?? [], movements.get(refund.id) ?? [], ledger.existingCustomers.has(refund.customerId));
      }
      if (page.length < deps.pageSize) return;
      after = page[page.length - 1]!.id;
    }
  }

  const orphans = orphanPasses(deps);

  return {
    async run(options: { repair: boolean }): Promise<AuditReport> {
      if (options.repair && deps.sweep) await deps.sweep();
      const report = reportBuilder({ repair: options.repair, listLimit: deps.listLimit });
      await salesPass(report);
      await refundsPass(report);
      await orphans.ledger(report);
      await orphans.movements(report);
      await orphans.balances(report);
      return report.finish();
    },
  };
}
export type BooksAudit = ReturnType<typeof booksAudit>;
