import type { PublicStatus, Sale } from '../domain/model';

/** A sale as every query of sales answers it: its columns and its lines as JSON (in the client's order). */
export interface SaleRow {
  id: string;
  customer_id: string;
  username: string;
  total_cents: string | number;
  refunded_cents: string | number;
  created_at: Date;
  updated_at: Date;
  lines: Array<{ itemId: string; itemName: string | null; unitPriceCents: number | null; quantity: number; refundedQuantity: number }>;
}

/** A sale's lines as SaleRow.lines, aggregated from the sale_lines rows `source` (alias l). */
export const linesJson = (source: string) =>
  `(SELECT json_agg(json_build_object('itemId', l.item_id, 'itemName', l.item_name, 'unitPriceCents', l.unit_price_cents,
     'quantity', l.quantity, 'refundedQuantity', l.refunded_quantity) ORDER BY l.position) FROM ${source}) AS lines`;

/** The columns of a SaleRow, for a query over `sales s`. */
export const SALE_SELECT = `s.id, s.customer_id, s.username, s.total_cents, s.refunded_cents, s.created_at, s.updated_at,
  ${linesJson('sale_lines l WHERE l.sale_id = s.id')}`;

function statusOf(totalCents: number, refundedCents: number): PublicStatus {
  if (refundedCents === 0) return 'completed';
  return refundedCents >= totalCents ? 'refunded' : 'partially_refunded';
}

/** The one mapping of a sale row to the Sale clients see. */
export function toSale(row: SaleRow): Sale {
  const lines = row.lines.map((line) => ({
    itemId: line.itemId,
    itemName: line.itemName ?? '',
    unitPriceCents: Number(line.unitPriceCents),
    quantity: line.quantity,
    totalCents: Number(line.unitPriceCents) * line.quantity,
    refundedQuantity: line.refundedQuantity,
  }));
  const [only] = lines;
  const totalCents = Number(row.total_cents);
  const refundedCents = Number(row.refunded_cents);
  return {
    id: row.id,
    customerId: row.customer_id,
    username: row.username,
    // v1 clients read one-line sales from the top level.
    ...(lines.length === 1 && only && { itemId: only.itemId, itemName: only.itemName, unitPriceCents: only.unitPriceCents, quantity: only.quantity }),
    lines,
    totalCents,
    refundedCents,
    status: statusOf(totalCents, refundedCents),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
