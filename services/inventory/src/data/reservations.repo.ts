import { pgErrorCode, prepared, type Queryable } from '@shop/kit';
import type { Db } from './db';
import { recordMovement } from './items.repo';

export interface Reservation {
  reference: string;
  itemId: string;
  quantity: number;
  itemName: string;
  unitPriceCents: number;
  stockCount: number;
}

interface ReservationRow {
  reference: string;
  state: 'taken' | 'released' | 'voided';
  item_id: string | null;
  quantity: number | null;
  item_name: string | null;
  unit_price_cents: bigint | null;
  stock_after: number | null;
}

const toReservation = (row: ReservationRow): Reservation => ({
  reference: row.reference,
  itemId: row.item_id!,
  quantity: row.quantity!,
  itemName: row.item_name!,
  unitPriceCents: Number(row.unit_price_cents),
  stockCount: row.stock_after!,
});

export type TakeResult =
  | { outcome: 'taken' | 'already_taken'; reservation: Reservation }
  | { outcome: 'no_item' | 'insufficient_stock' | 'voided' | 'reference_mismatch' };
export type ReleaseOutcome = 'released' | 'already_released' | 'voided';

/** Thrown inside a transaction to roll it back; never leaves this module. */
class Rollback {
  constructor(readonly outcome: 'no_item' | 'insufficient_stock' | 'lost_race') {}
}

/**
 * Stock reservations for the sales saga, one row per reference (the sale id), whose primary key makes
 * both operations idempotent.
 *
 * take: an earlier row for the reference answers at once (replay, or 409 when voided/released/reused).
 * Otherwise one conditional UPDATE takes the stock and the reservation row is inserted in the same
 * transaction with `ON CONFLICT DO NOTHING`. A concurrent request with the same reference blocks on the
 * item row, then on the key; when it finds the key taken, it rolls back its own decrement and answers from
 * the winner's row, so the stock is taken once.
 * release: claims the reference with a `voided` tombstone, or, when a row exists, locks it and gives the
 * stock back once. A tombstone makes every later take with that reference fail: an undo wins.
 */
export function reservationsRepo(db: Db) {
  /** The careful take: replays answer first, then one decrement, its reservation row and its movement. */
  async function takeCarefully(reference: string, itemId: string, quantity: number): Promise<TakeResult> {
    try {
      return await db.sql.transaction(async (tx) => {
        const earlier = await earlierTake(tx, reference, itemId, quantity);
        if (earlier) return earlier;
        // The one conditional statement that takes stock; CHECK (stock_count >= 0) backs it.
        const [item] = await tx.query<{ name: string; price_cents: bigint; stock_count: number }>(
          `UPDATE items SET stock_count = stock_count - $2::int, updated_at = now()
           WHERE id = $1::uuid AND deleted_at IS NULL AND stock_count >= $2::int
           RETURNING name, price_cents, stock_count`,
          itemId,
          quantity,
        );
        if (!item) {
          // A concurrent take with this reference may have committed while this one waited on the row.
          const settled = await earlierTake(tx, reference, itemId, quantity);
          if (settled) return settled;
          const [exists] = await tx.query<unknown>('SELECT 1 FROM items WHERE id = $1::uuid AND deleted_at IS NULL', itemId);
          throw new Rollback(exists ? 'insufficient_stock' : 'no_item');
        }
        const [row] = await tx.query<ReservationRow>(
          `INSERT INTO stock_reservations (reference, state, item_id, quantity, item_name, unit_price_cents, stock_after, updated_at)
           VALUES ($1, 'taken', $2::uuid, $3::int, $4, $5::bigint, $6::int, now())
           ON CONFLICT (reference) DO NOTHING RETURNING *`,
          reference,
          itemId,
          quantity,
          item.name,
          item.price_cents,
          item.stock_count,
        );
        if (!row) throw new Rollback('lost_race');
        await recordMovement(tx, { itemId, kind: 'reservation', delta: -quantity, stockAfter: item.stock_count, reference });
        return { outcome: 'taken' as const, reservation: toReservation(row) };
      });
    } catch (error) {
      if (!(error instanceof Rollback)) throw error;
      if (error.outcome !== 'lost_race') return { outcome: error.outcome };
      // Our decrement is rolled back; the winner's row (taken, or a tombstone) decides.
      return (await earlierTake(db.sql, reference, itemId, quantity))!;
    }
  }

  return {
    /** The common case in one statement; anything else (a replay, a tombstone, no stock, no item) the careful way. */
    async take(reference: string, itemId: string, quantity: number): Promise<TakeResult> {
      return (await takeAtOnce(db.sql, reference, itemId, quantity)) ?? takeCarefully(reference, itemId, quantity);
    },

    async release(reference: string): Promise<ReleaseOutcome> {
      return db.sql.transaction(async (tx) => {
        const [tombstone] = await tx.query<unknown>(
          `INSERT INTO stock_reservations (reference, state, updated_at) VALUES ($1, 'voided', now())
           ON CONFLICT (reference) DO NOTHING RETURNING reference`,
          reference,
        );
        if (tombstone) return 'voided';
        const [row] = await tx.query<ReservationRow>('SELECT * FROM stock_reservations WHERE reference = $1 FOR UPDATE', reference);
        if (row!.state === 'voided') return 'voided';
        if (row!.state === 'released') return 'already_released';
        await tx.execute(`UPDATE stock_reservations SET state = 'released', updated_at = now() WHERE reference = $1`, reference);
        // Deleted items take their stock back too: a past sale's undo must always work.
        const [item] = await tx.query<{ stock_count: number }>(
          'UPDATE items SET stock_count = stock_count + $2::int, updated_at = now() WHERE id = $1::uuid RETURNING stock_count',
          row!.item_id,
          row!.quantity,
        );
        await recordMovement(tx, { itemId: row!.item_id!, kind: 'release', delta: row!.quantity!, stockAfter: item!.stock_count, reference });
        return 'released';
      });
    },
  };
}
export type ReservationsRepo = ReturnType<typeof reservationsRepo>;

const RESERVATION_COLUMNS = 'reference, state, item_id, quantity, item_name, unit_price_cents, stock_after';
const TAKE_AT_ONCE = prepared(
  'reservations.take',
  `WITH item AS (
     UPDATE items SET stock_count = stock_count - $3::int, updated_at = now()
     WHERE id = $2::uuid AND deleted_at IS NULL AND stock_count >= $3::int
       AND NOT EXISTS (SELECT 1 FROM stock_reservations WHERE reference = $1)
     RETURNING id, name, price_cents, stock_count
   ), reservation AS (
     INSERT INTO stock_reservations (reference, state, item_id, quantity, item_name, unit_price_cents, stock_after, updated_at)
     SELECT $1, 'taken', item.id, $3::int, item.name, item.price_cents, item.stock_count, now() FROM item
     RETURNING ${RESERVATION_COLUMNS}
   ), movement AS (
     INSERT INTO stock_movements (id, item_id, kind, delta, stock_after, reference)
     SELECT gen_random_uuid(), r.item_id, 'reservation', -r.quantity, r.stock_after, r.reference FROM reservation r
   )
   SELECT ${RESERVATION_COLUMNS} FROM reservation`,
);

/**
 * A first take of a reference as one statement (atomic on its own; the item's row lock is held only for it
 * and its commit): the conditional decrement, the reservation row and the movement. Undefined when it did
 * nothing — the reference already has a row (replay, tombstone), the stock is short or the item is gone — so
 * the careful take decides. A row for the reference committed after this statement's snapshot makes the plain
 * INSERT fail with a unique violation, which undoes the whole statement: the careful take decides then too.
 */
async function takeAtOnce(db: Queryable, reference: string, itemId: string, quantity: number): Promise<TakeResult | undefined> {
  try {
    const [row] = await db.query<ReservationRow>(TAKE_AT_ONCE, reference, itemId, quantity);
    return row && { outcome: 'taken', reservation: toReservation(row) };
  } catch (error) {
    if (isUniqueViolation(error)) return undefined;
    throw error;
  }
}

function isUniqueViolation(error: unknown): boolean {
  return pgErrorCode(error) === '23505';
}

/** The answer a take gets from an earlier row for its reference, or undefined when there is none. */
async function earlierTake(tx: Queryable, reference: string, itemId: string, quantity: number): Promise<TakeResult | undefined> {
  const [row] = await tx.query<ReservationRow>('SELECT * FROM stock_reservations WHERE reference = $1', reference);
  if (!row) return undefined;
  if (row.state !== 'taken') return { outcome: 'voided' };
  if (row.item_id !== itemId.toLowerCase() || row.quantity !== quantity) return { outcome: 'reference_mismatch' };
  return { outcome: 'already_taken', reservation: toReservation(row) };
}
