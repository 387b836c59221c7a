import { prepared, type Queryable } from '@shop/kit';
import type { BasketLine, ReleaseOutcome, ReservationsRepo, ReturnOutcome, TakeResult } from '../domain/model';

interface TakeRow {
  outcome: 'taken' | 'already_taken' | 'no_item' | 'insufficient_stock' | 'voided' | 'reference_mismatch';
  line: number | null;
  item_id: string | null;
  quantity: number | null;
  item_name: string | null;
  unit_price_cents: bigint | null;
  stock_after: number | null;
}

export const TAKE = prepared('reservations.take', 'SELECT * FROM stock_take($1, $2::uuid[], $3::int[])');
const RELEASE = prepared('reservations.release', 'SELECT stock_release($1) AS outcome');
export const RETURN = prepared('reservations.return', 'SELECT stock_return($1, $2::uuid[], $3::int[]) AS outcome');

/**
 * Stock reservations for the sales saga, one per reference (the sale id) holding every line of the basket.
 * Both operations are database functions (migration 20261130050000), one round trip each: stock_take takes
 * every line or none, locking the item rows in id order so that baskets sharing items queue instead of
 * deadlocking, and is idempotent by reference; stock_release gives the stock back once, or leaves a tombstone
 * that refuses a late take: an undo wins. They run on inventory's stock pool (DATABASE_STOCK_POOL_SIZE), never
 * behind the catalogue's reads.
 */
export function reservationsRepo(sql: Queryable): ReservationsRepo {
  return {
    async take(reference: string, lines: BasketLine[]): Promise<TakeResult> {
      const rows = await sql.query<TakeRow>(
        TAKE,
        reference,
        lines.map((line) => line.itemId),
        lines.map((line) => line.quantity),
      );
      const { outcome } = rows[0]!;
      switch (outcome) {
        case 'taken':
        case 'already_taken':
          return {
            outcome,
            reservation: {
              reference,
              lines: rows.map((row) => ({
                itemId: row.item_id!,
                quantity: row.quantity!,
                itemName: row.item_name!,
                unitPriceCents: Number(row.unit_price_cents),
                stockCount: row.stock_after!,
              })),
            },
          };
        case 'no_item':
        case 'insufficient_stock':
          return { outcome, lines: rows.map((row) => row.line!) };
        default:
          return { outcome };
      }
    },

    async release(reference: string): Promise<ReleaseOutcome> {
      const [row] = await sql.query<{ outcome: ReleaseOutcome }>(RELEASE, reference);
      return row!.outcome;
    },

    /** Puts a refund's units back once per reference (the refund id): stock_return (migration 20261130060100). */
    async returnStock(reference: string, lines: BasketLine[]): Promise<ReturnOutcome> {
      const [row] = await sql.query<{ outcome: ReturnOutcome }>(
        RETURN,
        reference,
        lines.map((line) => line.itemId),
        lines.map((line) => line.quantity),
      );
      return row!.outcome;
    },
  };
}
