import { byTimeAndId, keysetPage, type ListOptions, type PageQuery } from '@shop/kit';
import type { HistoryRepo, Sale, SaleFilter } from '../domain/model';
import type { Db } from './db';
import { saleCountsRepo } from './sale-counts';
import { SALE_SELECT, toSale, type SaleRow } from './sale-row';

/** Only the customer narrows the list: its total is the customer's maintained count. */
const onlyCustomer = (filter: SaleFilter) =>
  filter.customerId !== undefined && Object.entries(filter).every(([key, value]) => key === 'customerId' || value === undefined);

/** Purchase history: the reads of completed sales. */
export function historyRepo(db: Db, lists: ListOptions): HistoryRepo {
  const counts = saleCountsRepo(db);
  return {
    /** Completed sales, newest first, narrowed by the filter. */
    async listCompleted(filter: SaleFilter, page: PageQuery) {
      const params: unknown[] = [];
      const param = (value: unknown) => `$${params.push(value)}`;
      const where = [`s.status = 'COMPLETED'`];
      if (filter.customerId) where.push(`s.customer_id = ${param(filter.customerId)}::uuid`);
      if (filter.username) where.push(`s.username_key = ${param(filter.username.toLowerCase())}`);
      if (filter.status === 'completed') where.push('s.refunded_cents = 0');
      if (filter.status === 'partially_refunded') where.push('s.refunded_cents > 0 AND s.refunded_cents < s.total_cents');
      if (filter.status === 'refunded') where.push('s.refunded_cents > 0 AND s.refunded_cents >= s.total_cents');
      // An item's sales walk its lines by (item_id, sale_created_at, sale_id) (migration 20261207100000), each joined
      // to its sale by key; a sale holds an item on one line at most, so no sale appears twice.
      if (filter.itemId) where.push(`f.item_id = ${param(filter.itemId)}::uuid`);
      if (filter.from) where.push(`s.created_at >= ${param(filter.from)}`);
      if (filter.to) where.push(`s.created_at < ${param(filter.to)}`);
      // A customer's own history: the total is counted on write (customer_spend.completed_sales), read by key, so a
      // page costs the same for 20 sales or 20,000; read before the page, as list versions are.
      const knownTotal = onlyCustomer(filter) ? await counts.completedSales(filter.customerId!) : undefined;
      const { rows, listed } = await keysetPage<SaleRow>(
        db.sql,
        {
          binding: ['sales', filter],
          select: SALE_SELECT,
          from: filter.itemId ? 'sale_lines f JOIN sales s ON s.id = f.sale_id' : 'sales s',
          where,
          params,
          keys: filter.itemId ? byTimeAndId('f.sale_created_at', 'f.sale_id') : byTimeAndId('s.created_at', 's.id'),
          descending: true,
          knownTotal,
        },
        page,
        lists,
      );
      return { ...listed, data: rows.map(toSale) };
    },

    async findCompleted(id: string): Promise<Sale | undefined> {
      const [row] = await db.sql.query<SaleRow>(`SELECT ${SALE_SELECT} FROM sales s WHERE s.id = $1::uuid AND s.status = 'COMPLETED'`, id);
      return row && toSale(row);
    },

    /**
     * Whether the customer has a completed sale whose line for the item is not fully refunded; without an item,
     * whether they have any completed sale not fully refunded.
     */
    async hasPurchased(customerId: string, itemId?: string): Promise<boolean> {
      const rows = itemId
        ? await db.sql.query<unknown>(
            `SELECT 1 FROM sale_lines l JOIN sales s ON s.id = l.sale_id
             WHERE l.item_id = $2::uuid AND s.customer_id = $1::uuid AND s.status = 'COMPLETED' AND l.refunded_quantity < l.quantity
             LIMIT 1`,
            customerId,
            itemId,
          )
        : await db.sql.query<unknown>(
            `SELECT 1 FROM sales WHERE customer_id = $1::uuid AND status = 'COMPLETED' AND refunded_cents < total_cents LIMIT 1`,
            customerId,
          );
      return rows.length > 0;
    },
  };
}
