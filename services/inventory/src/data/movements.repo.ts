import { bySeq, keysetPage, type Listed, type ListOptions, type PageQuery, type Queryable } from '@shop/kit';
import type { StockMovement } from '../domain/model';

/** A stock change as items.repo records it, in the stored kinds (the database functions write reservation, release and return). */
export interface Movement {
  itemId: string;
  kind: 'initial' | 'adjustment' | 'correction';
  delta: number;
  stockAfter: number;
  reason?: string;
  actorId?: string;
}

/** Writes a movement in the caller's transaction, beside the stock change it records. */
export async function recordMovement(tx: Queryable, m: Movement): Promise<void> {
  await tx.execute(
    `INSERT INTO stock_movements (id, item_id, kind, delta, stock_after, reference, reason, actor_id)
     VALUES (uuid_v7(), $1::uuid, $2::"StockMovementKind", $3::int, $4::int, NULL, $5, $6::uuid)`,
    m.itemId,
    m.kind,
    m.delta,
    m.stockAfter,
    m.reason ?? null,
    m.actorId ?? null,
  );
}

interface MovementRow {
  id: string;
  kind: StockMovement['kind'];
  delta: number;
  stock_after: number;
  reference: string | null;
  reason: string | null;
  created_at: Date;
}

/** The item's stock history, newest first; undefined when there is no such (undeleted) item. */
export async function listMovements(
  q: Queryable,
  itemId: string,
  page: PageQuery,
  lists: ListOptions,
): Promise<({ data: StockMovement[] } & Listed) | undefined> {
  const [item] = await q.query<{ id: string }>('SELECT id FROM items WHERE id = $1::uuid AND deleted_at IS NULL', itemId);
  if (!item) return undefined;
  // The stored kinds, in the contract's words: a PATCH's correction is an adjustment, a reservation a sale.
  const listed = await keysetPage<MovementRow>(
    q,
    {
      binding: ['stock-movements', itemId],
      select: `id, CASE kind WHEN 'correction' THEN 'adjustment' WHEN 'reservation' THEN 'sale' ELSE kind::text END AS kind,
       delta, stock_after, reference, reason, created_at`,
      from: 'stock_movements',
      where: ['item_id = $1::uuid'],
      params: [itemId],
      keys: bySeq(),
      descending: true,
    },
    page,
    lists,
  );
  return {
    ...listed.listed,
    data: listed.rows.map((row) => ({
      id: row.id,
      kind: row.kind,
      delta: row.delta,
      stockAfter: row.stock_after,
      reference: row.reference,
      reason: row.reason,
      createdAt: row.created_at.toISOString(),
    })),
  };
}
