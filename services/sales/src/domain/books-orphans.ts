import crypto from 'node:crypto';
import type { BooksAuditDeps } from './books-audit';
import { groupBy, type ReportBuilder } from './books-report';

/**
 * The audit's other direction: every ledger entry and stock movement that names a sale or a refund must name one
 * sales knows (a pending one is in flight, not drift), and every wallet and item must equal the sum of its
 * history. A reference unknown to sales whose rows net to zero was undone already (nothing to settle).
 */
export function orphanPasses(deps: Pick<BooksAuditDeps, 'sales' | 'customers' | 'inventory'>) {
  const { sales, customers, inventory } = deps;
  /** The references of these rows that sales does not know. */
  const unknownOf = async (references: string[]) => {
    const known = await sales.statuses([...new Set(references)]);
    return [...new Set(references.filter((reference) => !known.has(reference)))];
  };

  return {
    async ledger(report: ReportBuilder) {
      for (let after: string | undefined; ;) {
        const requestId = `audit-${crypto.randomUUID()}`;
        const page = await customers.ledgerPage(after, requestId);
        report.counted.ledgerEntries += page.data.length;
        const unknown = await unknownOf(page.data.map((entry) => entry.reference));
        if (unknown.length) {
          // All of each unknown reference's entries (they may straddle pages); reported on the page of its first entry.
          const all = groupBy((await customers.ledgerByReferences(unknown, [], requestId)).entries, (entry) => entry.reference);
          const onPage = new Set(page.data.map((entry) => entry.id));
          for (const [reference, entries] of all) {
            const net = entries.reduce((sum, entry) => sum + entry.amountCents, 0);
            if (net === 0 || !onPage.has(entries[0]!.id)) continue;
            const debitOnly = entries.length === 1 && entries[0]!.type === 'purchase';
            const customerId = entries[0]!.customerId;
            await report.found(
              {
                kind: 'orphan_ledger_entry',
                ids: { reference, customerId, entries: entries.map((entry) => entry.id) },
                detail: `${net} cents for a reference sales does not know`,
              },
              debitOnly
                ? async () => {
                    return (await customers.refund({ customerId, reference }, requestId)) !== 'voided';
                  }
                : undefined,
            );
          }
        }
        if (!page.nextAfter) return;
        after = page.nextAfter;
      }
    },

    async movements(report: ReportBuilder) {
      for (let after: string | undefined; ;) {
        const requestId = `audit-${crypto.randomUUID()}`;
        const page = await inventory.movementsPage(after, requestId);
        report.counted.movements += page.data.length;
        const unknown = await unknownOf(page.data.map((movement) => movement.reference));
        if (unknown.length) {
          const all = groupBy((await inventory.movementsByReferences(unknown, requestId)).movements, (movement) => movement.reference);
          const onPage = new Set(page.data.map((movement) => movement.id));
          for (const [reference, movements] of all) {
            const net = movements.reduce((sum, movement) => sum + movement.delta, 0);
            if (net === 0 || !onPage.has(movements[0]!.id)) continue;
            const reservationOnly = movements.every((movement) => movement.kind === 'reservation');
            await report.found(
              {
                kind: 'orphan_movement',
                ids: { reference, movements: movements.map((movement) => movement.id) },
                detail: `${net} units for a reference sales does not know`,
              },
              reservationOnly
                ? async () => {
                    return (await inventory.release(reference, requestId)) !== 'voided';
                  }
                : undefined,
            );
          }
        }
        if (!page.nextAfter) return;
        after = page.nextAfter;
      }
    },

    async balances(report: ReportBuilder) {
      for (let after: string | undefined; ;) {
        const page = await customers.walletsPage(after, `audit-${crypto.randomUUID()}`);
        report.counted.wallets += page.data.length;
        for (const wallet of page.data)
          if (wallet.balanceCents !== wallet.ledgerSumCents)
            await report.found({
              kind: 'wallet_balance',
              ids: { customerId: wallet.id },
              detail: `balance ${wallet.balanceCents} cents, ledger sum ${wallet.ledgerSumCents}`,
            });
        if (!page.nextAfter) break;
        after = page.nextAfter;
      }
      for (let after: string | undefined; ;) {
        const page = await inventory.itemsPage(after, `audit-${crypto.randomUUID()}`);
        report.counted.items += page.data.length;
        for (const item of page.data)
          if (item.stockCount !== item.movementSum)
            await report.found({ kind: 'item_stock', ids: { itemId: item.id }, detail: `stock ${item.stockCount}, movements sum ${item.movementSum}` });
        if (!page.nextAfter) return;
        after = page.nextAfter;
      }
    },
  };
}
