import { prepared, type EventRecorder, type Queryable } from '@shop/kit';
import type { IdempotencyClaim, NewSale, Price, Sale, SalesRepo, StoredAnswer, StoredKey } from '../domain/model';
import type { Db } from './db';
import { claimKey, settleSaleKey } from './idempotency-keys.repo';
import { linesJson, toSale, type SaleRow } from './sale-row';

export const SALE_EVENT_TYPES = ['sale.completed', 'refund.completed'] as const;
export type Events = EventRecorder<(typeof SALE_EVENT_TYPES)[number]>;

/** The pending sale and its lines ($4 item ids, $5 quantities, in the client's order) in one statement. */
export const INSERT_PENDING = prepared(
  'sales.insert-pending',
  `WITH sale AS (
     INSERT INTO sales (id, customer_id, username, username_key, status)
     VALUES ($1::uuid, $2::uuid, $3::text, lower($3::text), 'PENDING') RETURNING id
   )
   INSERT INTO sale_lines (sale_id, position, item_id, quantity)
   SELECT sale.id, t.ord - 1, t.item_id, t.quantity FROM sale, unnest($4::uuid[], $5::int[]) WITH ORDINALITY t(item_id, quantity, ord)`,
);
/** Sets each line's name and price from the arrays ($2 item ids, $3 names, $4 prices) when `sale` changed a row. */
const PRICE_LINES = `UPDATE sale_lines SET item_name = p.item_name, unit_price_cents = p.unit_price_cents
   FROM unnest($2::uuid[], $3::text[], $4::bigint[]) p(item_id, item_name, unit_price_cents)
   WHERE sale_lines.sale_id = $1::uuid AND sale_lines.item_id = p.item_id AND EXISTS (SELECT 1 FROM sale)
   RETURNING sale_lines.position, sale_lines.item_id, sale_lines.item_name, sale_lines.unit_price_cents,
     sale_lines.quantity, sale_lines.refunded_quantity`;
/** PENDING → COMPLETED with the prices ($2–$4) and the total ($5), answering the SaleRow. */
export const COMPLETE = prepared(
  'sales.complete',
  `WITH sale AS (
     UPDATE sales SET status = 'COMPLETED', total_cents = $5, updated_at = now()
     WHERE id = $1::uuid AND status = 'PENDING'
     RETURNING id, customer_id, username, total_cents, refunded_cents, created_at, updated_at
   ), l AS (${PRICE_LINES})
   SELECT s.id, s.customer_id, s.username, s.total_cents, s.refunded_cents, s.created_at, s.updated_at, ${linesJson('l')}
   FROM sale s`,
);
const FAIL = `WITH sale AS (
     UPDATE sales SET status = 'FAILED', failure_reason = $6, updated_at = now(), total_cents = coalesce($5, total_cents)
     WHERE id = $1::uuid AND status = 'PENDING' RETURNING id
   ), l AS (${PRICE_LINES})
   SELECT count(*)::int AS changed FROM sale`;

/** COMPLETE's and FAIL's $2–$4: each line's item id, name and price. */
export const priceArrays = (price: Price | undefined) => [
  price?.lines.map((line) => line.itemId) ?? [],
  price?.lines.map((line) => line.itemName) ?? [],
  price?.lines.map((line) => line.unitPriceCents) ?? [],
];

async function insertPending(q: Queryable, sale: NewSale) {
  await q.execute(
    INSERT_PENDING,
    sale.id,
    sale.customerId,
    sale.username,
    sale.lines.map((line) => line.itemId),
    sale.lines.map((line) => line.quantity),
  );
}

/**
 * The sale's lifecycle, PENDING → COMPLETED or FAILED, with its idempotency key: claimed in the transaction that
 * records the PENDING sale, answered (or released) in the one that ends it.
 */
export function salesRepo(db: Db, events: Events): SalesRepo {
  return {
    /**
     * Records the sale as PENDING, claiming its idempotency key first when there is one. A key held by an
     * earlier request (and not expired) is returned instead, and nothing is written. An expired key is taken over.
     */
    async begin(sale: NewSale, claim?: IdempotencyClaim): Promise<{ started: true } | { started: false; existing: StoredKey }> {
      // Without a key there is one statement: no transaction round trips.
      if (!claim) {
        await insertPending(db.sql, sale);
        return { started: true };
      }
      return db.sql.transaction(async (tx) => {
        const existing = await claimKey(tx, claim, { saleId: sale.id });
        if (existing) return { started: false as const, existing };
        await insertPending(tx, sale);
        return { started: true as const };
      });
    },

    /**
     * PENDING → COMPLETED with each line's name and price at purchase time (from the reservation), its
     * sale.completed event, and the 201 answer stored under the key, in one transaction. Undefined if no longer
     * pending (then there is no event either).
     */
    async complete(id: string, price: Price, keyed: boolean, answer: (sale: Sale) => StoredAnswer): Promise<Sale | undefined> {
      return db.sql.transaction(async (tx) => {
        const [row] = await tx.query<SaleRow>(COMPLETE, id, ...priceArrays(price), price.totalCents);
        if (!row) return undefined;
        const sale = toSale(row);
        await events.record(tx, 'sale.completed', sale);
        if (keyed) await settleSaleKey(tx, id, answer(sale));
        return sale;
      });
    },

    /**
     * PENDING → FAILED (with the prices when the stock was reserved); stores `answer` under the key when it is
     * final, else releases the key. Without a key it is one statement. False when the sale was no longer
     * pending (the recovery sweep got there first).
     */
    async fail(id: string, reason: string, keyed: boolean, answer?: StoredAnswer, price?: Price): Promise<boolean> {
      const end = async (q: Queryable) => {
        const [row] = await q.query<{ changed: number }>(FAIL, id, ...priceArrays(price), price?.totalCents ?? null, reason);
        if (keyed) await settleSaleKey(q, id, answer);
        return row?.changed === 1;
      };
      return keyed ? db.sql.transaction(end) : end(db.sql);
    },

    /** The sale stays PENDING for the recovery sweep; its key is released so the client can try again. */
    async releaseKey(saleId: string): Promise<void> {
      await settleSaleKey(db.sql, saleId, undefined);
    },
  };
}
