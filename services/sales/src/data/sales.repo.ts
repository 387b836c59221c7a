import { prepared, type EventRecorder, type Queryable } from '@shop/kit';
import type { Db } from './db';

export const SALE_EVENT_TYPES = ['sale.completed', 'refund.completed'] as const;
export type Events = EventRecorder<(typeof SALE_EVENT_TYPES)[number]>;

export type PublicStatus = 'completed' | 'partially_refunded' | 'refunded';

export interface SaleLine {
  itemId: string;
  itemName: string;
  unitPriceCents: number;
  quantity: number;
  totalCents: number;
  refundedQuantity: number;
}

/**
 * A sale as clients see it: only completed sales ever leave the service. A sale of exactly one line also
 * carries that line's itemId, itemName, unitPriceCents and quantity at the top level (the v1 shape).
 */
export interface Sale {
  id: string;
  customerId: string;
  username: string;
  itemId?: string;
  itemName?: string;
  unitPriceCents?: number;
  quantity?: number;
  lines: SaleLine[];
  totalCents: number;
  refundedCents: number;
  status: PublicStatus;
  createdAt: string;
  updatedAt: string;
}

export interface NewSale {
  id: string;
  customerId: string;
  username: string;
  lines: Array<{ itemId: string; quantity: number }>;
}

export interface IdempotencyClaim {
  customerId: string;
  key: string;
  requestHash: string;
  ttlHours: number;
}

/** What an earlier request with the same key left behind. */
export interface StoredKey {
  requestHash: string;
  state: 'in_flight' | 'done';
  responseStatus: number | null;
  responseBody: string | null;
}

/** A final answer to keep under the sale's idempotency key (the JSON text, verbatim). */
export interface StoredAnswer {
  status: number;
  body: unknown;
}

export interface PendingSale {
  id: string;
  customerId: string;
}

/** What each line cost at purchase time (inventory's reservation answer), and the total. */
export interface Price {
  lines: Array<{ itemId: string; itemName: string; unitPriceCents: number }>;
  totalCents: number;
}

export interface SaleFilter {
  customerId?: string;
  username?: string;
  status?: PublicStatus;
  itemId?: string;
  from?: Date;
  to?: Date;
}

interface SaleRow {
  id: string;
  customer_id: string;
  username: string;
  total_cents: string | number;
  refunded_cents: string | number;
  created_at: Date;
  updated_at: Date;
  lines: Array<{ itemId: string; itemName: string | null; unitPriceCents: number | null; quantity: number; refundedQuantity: number }>;
}

/** The sale's columns and its lines (in the client's order) as JSON, for a query over `sales s`. */
const SALE_SELECT = `s.id, s.customer_id, s.username, s.total_cents, s.refunded_cents, s.created_at, s.updated_at,
  (SELECT json_agg(json_build_object('itemId', l.item_id, 'itemName', l.item_name, 'unitPriceCents', l.unit_price_cents,
     'quantity', l.quantity, 'refundedQuantity', l.refunded_quantity) ORDER BY l.position)
   FROM sale_lines l WHERE l.sale_id = s.id) AS lines`;

export function statusOf(totalCents: number, refundedCents: number): PublicStatus {
  if (refundedCents === 0) return 'completed';
  return refundedCents >= totalCents ? 'refunded' : 'partially_refunded';
}

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
    ...(lines.length === 1 && { itemId: only!.itemId, itemName: only!.itemName, unitPriceCents: only!.unitPriceCents, quantity: only!.quantity }),
    lines,
    totalCents,
    refundedCents,
    status: statusOf(totalCents, refundedCents),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

const INSERT_PENDING = prepared(
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
const COMPLETE = prepared(
  'sales.complete',
  `WITH sale AS (
     UPDATE sales SET status = 'COMPLETED', total_cents = $5, updated_at = now()
     WHERE id = $1::uuid AND status = 'PENDING'
     RETURNING id, customer_id, username, total_cents, refunded_cents, created_at, updated_at
   ), l AS (${PRICE_LINES})
   SELECT s.id, s.customer_id, s.username, s.total_cents, s.refunded_cents, s.created_at, s.updated_at,
     (SELECT json_agg(json_build_object('itemId', l.item_id, 'itemName', l.item_name, 'unitPriceCents', l.unit_price_cents,
        'quantity', l.quantity, 'refundedQuantity', l.refunded_quantity) ORDER BY l.position) FROM l) AS lines
   FROM sale s`,
);
const FAIL = `WITH sale AS (
     UPDATE sales SET status = 'FAILED', failure_reason = $6, updated_at = now(), total_cents = coalesce($5, total_cents)
     WHERE id = $1::uuid AND status = 'PENDING' RETURNING id
   ), l AS (${PRICE_LINES})
   SELECT count(*)::int AS changed FROM sale`;

const priceArrays = (price: Price | undefined) => [
  price?.lines.map((line) => line.itemId) ?? [],
  price?.lines.map((line) => line.itemName) ?? [],
  price?.lines.map((line) => line.unitPriceCents) ?? [],
];

/**
 * Claims an Idempotency-Key for a purchase (saleId) or a refund (refundId): `INSERT … ON CONFLICT`, taking over
 * an expired key. Undefined when claimed; else what the earlier request left (nothing is written).
 */
export async function claimKey(tx: Queryable, claim: IdempotencyClaim, owner: { saleId?: string; refundId?: string }): Promise<StoredKey | undefined> {
  const claimed = await tx.query<unknown>(
    `INSERT INTO idempotency_keys (customer_id, key, request_hash, state, sale_id, refund_id, expires_at)
     VALUES ($1::uuid, $2, $3, 'in_flight', $4::uuid, $5::uuid, now() + make_interval(secs => $6::double precision))
     ON CONFLICT (customer_id, key) DO UPDATE
       SET request_hash = EXCLUDED.request_hash, state = 'in_flight', sale_id = EXCLUDED.sale_id, refund_id = EXCLUDED.refund_id,
           response_status = NULL, response_body = NULL, created_at = now(), expires_at = EXCLUDED.expires_at
       WHERE idempotency_keys.expires_at <= now()
     RETURNING 1`,
    claim.customerId,
    claim.key,
    claim.requestHash,
    owner.saleId ?? null,
    owner.refundId ?? null,
    claim.ttlHours * 3600,
  );
  if (claimed.length) return undefined;
  const [existing] = await tx.query<{ request_hash: string; state: 'in_flight' | 'done'; response_status: number | null; response_body: string | null }>(
    `SELECT request_hash, state::text AS state, response_status, response_body FROM idempotency_keys
     WHERE customer_id = $1::uuid AND key = $2`,
    claim.customerId,
    claim.key,
  );
  // The conflicting row existed a moment ago; if it is gone now (released), treat it as in flight.
  return existing
    ? { requestHash: existing.request_hash, state: existing.state, responseStatus: existing.response_status, responseBody: existing.response_body }
    : { requestHash: claim.requestHash, state: 'in_flight', responseStatus: null, responseBody: null };
}

/**
 * The sale's lifecycle and its idempotency key are written together: the key is claimed in the transaction
 * that records the PENDING sale, and the final answer is stored (or the key released) in the transaction that
 * ends the sale. A key can therefore never say "done" for a sale that did not end, nor stay in flight for a
 * sale that did.
 */
export function salesRepo(db: Db, events: Events) {
  /** Stores the final answer under the sale's key, or (no answer) releases the key so the client may retry. */
  async function keyOutcome(tx: Queryable, saleId: string, answer: StoredAnswer | undefined) {
    if (answer) {
      await tx.execute(
        `UPDATE idempotency_keys SET state = 'done', response_status = $2, response_body = $3
         WHERE sale_id = $1::uuid AND state = 'in_flight'`,
        saleId,
        answer.status,
        JSON.stringify(answer.body),
      );
    } else {
      await tx.execute(`DELETE FROM idempotency_keys WHERE sale_id = $1::uuid AND state = 'in_flight'`, saleId);
    }
  }

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
      const end = async (q: Queryable) => {
        const [row] = await q.query<SaleRow>(COMPLETE, id, ...priceArrays(price), price.totalCents);
        if (!row) return undefined;
        const sale = toSale(row);
        await events.record(q, 'sale.completed', sale);
        if (keyed) await keyOutcome(q, id, answer(sale));
        return sale;
      };
      return db.sql.transaction(end);
    },

    /**
     * PENDING → FAILED (with the prices when the stock was reserved); stores `answer` under the key when it is
     * final, else releases the key. Without a key it is one statement. False when the sale was no longer
     * pending (the recovery sweep got there first).
     */
    async fail(id: string, reason: string, keyed: boolean, answer?: StoredAnswer, price?: Price): Promise<boolean> {
      const end = async (q: Queryable) => {
        const [row] = await q.query<{ changed: number }>(FAIL, id, ...priceArrays(price), price?.totalCents ?? null, reason);
        if (keyed) await keyOutcome(q, id, answer);
        return row!.changed === 1;
      };
      return keyed ? db.sql.transaction(end) : end(db.sql);
    },

    /** The sale stays PENDING for the recovery sweep; its key is released so the client can try again. */
    async releaseKey(saleId: string): Promise<void> {
      await keyOutcome(db.sql, saleId, undefined);
    },

    /**
     * Claims the oldest pending sale older than `ageMs` (skipping `exclude` and rows another replica holds:
     * FOR UPDATE SKIP LOCKED), keeps it locked while `settle` undoes its steps, then marks it FAILED and
     * releases its key in the same transaction. If `settle` throws, nothing changes and the lock is dropped.
     * Undefined when there is nothing to claim.
     */
    async settleAbandoned(
      options: { ageMs: number; exclude: string[]; instance: string; lockTimeoutMs: number; statementTimeoutMs: number },
      settle: (sale: PendingSale) => Promise<void>,
    ): Promise<{ id: string; settled: true } | { id: string; settled: false; error: unknown } | undefined> {
      let claimed: PendingSale | undefined;
      try {
        return await db.sql.transaction(
          async (tx) => {
            // The claim holds the sale's row lock: if this instance stalls, PostgreSQL ends the session after
            // lockTimeoutMs of silence, which drops the lock and lets another replica's sweep take the sale.
            // Background work, so it may wait longer than a request would (these last until the transaction ends).
            await tx.execute(
              `SELECT set_config('idle_in_transaction_session_timeout', $1, true), set_config('statement_timeout', $2, true), set_config('lock_timeout', $2, true)`,
              String(options.lockTimeoutMs),
              String(options.statementTimeoutMs),
            );
            const [row] = await tx.query<{ id: string; customer_id: string }>(
              `SELECT id, customer_id FROM sales
               WHERE status = 'PENDING' AND created_at < now() - make_interval(secs => $1::double precision)
                 AND NOT (id = ANY($2::uuid[]))
               ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
              options.ageMs / 1000,
              options.exclude,
            );
            if (!row) return undefined;
            claimed = { id: row.id, customerId: row.customer_id };
            await settle(claimed);
            await tx.execute(
              `UPDATE sales SET status = 'FAILED', failure_reason = 'abandoned', recovery_count = recovery_count + 1,
                 recovered_by = $2, updated_at = now()
               WHERE id = $1::uuid`,
              row.id,
              options.instance,
            );
            await keyOutcome(tx, row.id, undefined);
            return { id: row.id, settled: true as const };
          },
        );
      } catch (error) {
        if (!claimed) throw error;
        return { id: claimed.id, settled: false, error };
      }
    },

    /** Forgets expired keys whose answer is stored (in-flight ones are released with their sale). */
    async purgeExpiredKeys(limit = 1000): Promise<number> {
      return db.sql.execute(
        `DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(
           SELECT ctid FROM idempotency_keys WHERE expires_at < now() AND state = 'done' LIMIT $1))`,
        limit,
      );
    },

    /** Completed sales, newest first, narrowed by the filter. */
    async listCompleted(filter: SaleFilter, page: { limit: number; offset: number }) {
      const params: unknown[] = [];
      const param = (value: unknown) => `$${params.push(value)}`;
      const where = [`s.status = 'COMPLETED'`];
      if (filter.customerId) where.push(`s.customer_id = ${param(filter.customerId)}::uuid`);
      if (filter.username) where.push(`s.username_key = ${param(filter.username.toLowerCase())}`);
      if (filter.status === 'completed') where.push('s.refunded_cents = 0');
      if (filter.status === 'partially_refunded') where.push('s.refunded_cents > 0 AND s.refunded_cents < s.total_cents');
      if (filter.status === 'refunded') where.push('s.refunded_cents > 0 AND s.refunded_cents >= s.total_cents');
      if (filter.itemId) where.push(`EXISTS (SELECT 1 FROM sale_lines f WHERE f.sale_id = s.id AND f.item_id = ${param(filter.itemId)}::uuid)`);
      if (filter.from) where.push(`s.created_at >= ${param(filter.from)}`);
      if (filter.to) where.push(`s.created_at < ${param(filter.to)}`);
      const condition = where.join(' AND ');
      const [rows, [count]] = await Promise.all([
        db.sql.query<SaleRow>(
          `SELECT ${SALE_SELECT} FROM sales s WHERE ${condition} ORDER BY s.created_at DESC, s.id DESC
           LIMIT ${param(page.limit)} OFFSET ${param(page.offset)}`,
          ...params,
        ),
        db.sql.query<{ total: number }>(`SELECT count(*)::int AS total FROM sales s WHERE ${condition}`, ...params.slice(0, -2)),
      ]);
      return { total: count!.total, data: rows.map(toSale) };
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
export type SalesRepo = ReturnType<typeof salesRepo>;
