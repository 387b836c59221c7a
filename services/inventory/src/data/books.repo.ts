import type { BooksRepo, ItemStockFact, MovementFact } from '../domain/model';
import type { Db } from './db';

/** Below every uuid: the first page's keyset bound (a plain `id > $1` keeps each page one index range scan). */
const FIRST = '00000000-0000-0000-0000-000000000000';
const KINDS = `kind IN ('reservation', 'release', 'return')`;

type MovementRow = { id: string; item_id: string; kind: MovementFact['kind']; delta: number; reference: string };
const toFact = (row: MovementRow): MovementFact => ({ id: row.id, itemId: row.item_id, kind: row.kind, delta: row.delta, reference: row.reference });

/** The books audit's reads of the stock history (the partial index on reference answers the lookups). */
export function booksRepo(db: Db): BooksRepo {
  return {
    async movementsByReferences(references) {
      const [movements, reservations] = await Promise.all([
        db.sql.query<MovementRow>(
          `SELECT id, item_id, kind, delta, reference FROM stock_movements WHERE reference = ANY($1::varchar[]) AND ${KINDS} ORDER BY id`,
          references,
        ),
        db.sql.query<{ reference: string; state: string }>(
          'SELECT reference, state::text FROM stock_reservations WHERE reference = ANY($1::varchar[])',
          references,
        ),
      ]);
      return { movements: movements.map(toFact), reservations };
    },

    async movementsPage(after, limit) {
      const rows = await db.sql.query<MovementRow>(
        `SELECT id, item_id, kind, delta, reference FROM stock_movements WHERE id > $1::uuid AND reference IS NOT NULL AND ${KINDS} ORDER BY id LIMIT $2`,
        after ?? FIRST,
        limit,
      );
      return rows.map(toFact);
    },

    /** Each item's stock beside its movements' sum (the (item_id, seq) index reads one item's rows). */
    async itemsPage(after, limit) {
      const rows = await db.sql.query<{ id: string; stock_count: number; movement_sum: string }>(
        `SELECT i.id, i.stock_count, (SELECT coalesce(sum(m.delta), 0) FROM stock_movements m WHERE m.item_id = i.id) AS movement_sum
         FROM items i WHERE i.id > $1::uuid ORDER BY i.id LIMIT $2`,
        after ?? FIRST,
        limit,
      );
      return rows.map((row): ItemStockFact => ({ id: row.id, stockCount: row.stock_count, movementSum: Number(row.movement_sum) }));
    },
  };
}
