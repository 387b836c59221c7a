import type { AuditedRefund, AuditedSale, BooksSalesRepo } from '../domain/books-model';
import type { Db } from './db';

/** Below every uuid: the first page's keyset bound (a plain `id > $1` keeps each page one index range scan). */
const FIRST = '00000000-0000-0000-0000-000000000000';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type LineRow = { owner: string; item_id: string; quantity: number };
function linesBy(rows: LineRow[]) {
  const lines = new Map<string, Array<{ itemId: string; quantity: number }>>();
  for (const row of rows) {
    const list = lines.get(row.owner) ?? [];
    list.push({ itemId: row.item_id, quantity: row.quantity });
    lines.set(row.owner, list);
  }
  return lines;
}

/** The books audit's reads of sales' own records: pages by primary key, their lines by the lines' primary keys. */
export function booksSalesRepo(db: Db): BooksSalesRepo {
  return {
    async salesPage(after, limit) {
      const sales = await db.sql.query<{ id: string; customer_id: string; status: AuditedSale['status']; total_cents: bigint | null; created_at: Date }>(
        'SELECT id, customer_id, status, total_cents, created_at FROM sales WHERE id > $1::uuid ORDER BY id LIMIT $2',
        after ?? FIRST,
        limit,
      );
      if (!sales.length) return [];
      const lines = linesBy(
        await db.sql.query<LineRow>(
          'SELECT sale_id AS owner, item_id, quantity FROM sale_lines WHERE sale_id = ANY($1::uuid[]) ORDER BY sale_id, position',
          sales.map((sale) => sale.id),
        ),
      );
      return sales.map((row) => ({
        id: row.id,
        customerId: row.customer_id,
        status: row.status,
        totalCents: row.total_cents === null ? null : Number(row.total_cents),
        createdAt: row.created_at,
        lines: lines.get(row.id) ?? [],
      }));
    },

    async refundsPage(after, limit) {
      const refunds = await db.sql.query<{
        id: string;
        sale_id: string;
        customer_id: string;
        amount_cents: bigint;
        restock: boolean;
        status: AuditedRefund['status'];
        created_at: Date;
      }>(
        'SELECT id, sale_id, customer_id, amount_cents, restock, status, created_at FROM refunds WHERE id > $1::uuid ORDER BY id LIMIT $2',
        after ?? FIRST,
        limit,
      );
      if (!refunds.length) return [];
      const lines = linesBy(
        await db.sql.query<LineRow>(
          'SELECT refund_id AS owner, item_id, quantity FROM refund_lines WHERE refund_id = ANY($1::uuid[]) ORDER BY refund_id, position',
          refunds.map((refund) => refund.id),
        ),
      );
      return refunds.map((row) => ({
        id: row.id,
        saleId: row.sale_id,
        customerId: row.customer_id,
        amountCents: Number(row.amount_cents),
        restock: row.restock,
        status: row.status,
        createdAt: row.created_at,
        lines: lines.get(row.id) ?? [],
      }));
    },

    async statuses(ids) {
      const uuids = ids.filter((id) => UUID.test(id));
      if (!uuids.length) return new Map();
      const rows = await db.sql.query<{ id: string; status: string }>(
        `SELECT id::text, status::text FROM sales WHERE id = ANY($1::uuid[])
         UNION ALL SELECT id::text, status::text FROM refunds WHERE id = ANY($1::uuid[])`,
        uuids,
      );
      return new Map(rows.map((row) => [row.id, row.status]));
    },
  };
}
