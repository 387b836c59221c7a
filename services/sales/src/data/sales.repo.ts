import { prepared, type EventRecorder, type Queryable } from '@shop/kit';
import type { Db } from './db';

export const SALE_EVENT_TYPES = ['sale.completed', 'refund.completed'] as const;
export type Events = EventRecorder<(typeof SALE_EVENT_TYPES)[number]>;

/** A sale as clients see it: only completed sales ever leave the service. */
export interface Sale {
  id: string;
  customerId: string;
  username: string;
  itemId: string;
  itemName: string;
  unitPriceCents: number;
  quantity: number;
  totalCents: number;
  status: 'completed';
  createdAt: string;
}

export interface NewSale {
  id: string;
  customerId: string;
  username: string;
  itemId: string;
  quantity: number;
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

interface SaleRow {
  id: string;
  customer_id: string;
  username: string;
  item_id: string;
  item_name: string | null;
  unit_price_cents: bigint | null;
  quantity: number;
  total_cents: bigint | null;
  created_at: Date;
}
const SALE_COLUMNS = 'id, customer_id, username, item_id, item_name, unit_price_cents, quantity, total_cents, created_at';

function toSale(row: SaleRow): Sale {
  return {
    id: row.id,
    customerId: row.customer_id,
    username: row.username,
    itemId: row.item_id,
    itemName: row.item_name ?? '',
    unitPriceCents: Number(row.unit_price_cents),
    quantity: row.quantity,
    totalCents: Number(row.total_cents),
    status: 'completed',
    createdAt: row.created_at.toISOString(),
  };
}

/** The item's name and price at purchase time, as the reservation answered them. */
export interface Price {
  itemName: string;
  unitPriceCents: number;
  totalCents: number;
}

const INSERT_PENDING = prepared(
  'sales.insert-pending',
  `INSERT INTO sales (id, customer_id, username, username_key, item_id, quantity, status)
   VALUES ($1::uuid, $2::uuid, $3::text, lower($3::text), $4::uuid, $5, 'PENDING')`,
);
const COMPLETE = prepared(
  'sales.complete',
  `UPDATE sales SET status = 'COMPLETED', item_name = $2, unit_price_cents = $3, total_cents = $4, updated_at = now()
   WHERE id = $1::uuid AND status = 'PENDING' RETURNING ${SALE_COLUMNS}`,
);

async function insertPending(q: Queryable, sale: NewSale) {
  await q.execute(
    INSERT_PENDING,
    sale.id,
    sale.customerId,
    sale.username,
    sale.itemId,
    sale.quantity,
  );
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
        if (claim) {
          const claimed = await tx.query<unknown>(
            `INSERT INTO idempotency_keys (customer_id, key, request_hash, state, sale_id, expires_at)
             VALUES ($1::uuid, $2, $3, 'in_flight', $4::uuid, now() + make_interval(secs => $5::double precision))
             ON CONFLICT (customer_id, key) DO UPDATE
               SET request_hash = EXCLUDED.request_hash, state = 'in_flight', sale_id = EXCLUDED.sale_id,
                   response_status = NULL, response_body = NULL, created_at = now(), expires_at = EXCLUDED.expires_at
               WHERE idempotency_keys.expires_at <= now()
             RETURNING 1`,
            claim.customerId,
            claim.key,
            claim.requestHash,
            sale.id,
            claim.ttlHours * 3600,
          );
          if (!claimed.length) {
            const [existing] = await tx.query<{ request_hash: string; state: 'in_flight' | 'done'; response_status: number | null; response_body: string | null }>(
              `SELECT request_hash, state::text AS state, response_status, response_body FROM idempotency_keys
               WHERE customer_id = $1::uuid AND key = $2`,
              claim.customerId,
              claim.key,
            );
            // The conflicting row existed a moment ago; if it is gone now (released), treat it as in flight.
            return {
              started: false as const,
              existing: existing
                ? { requestHash: existing.request_hash, state: existing.state, responseStatus: existing.response_status, responseBody: existing.response_body }
                : { requestHash: claim.requestHash, state: 'in_flight' as const, responseStatus: null, responseBody: null },
            };
          }
        }
        await insertPending(tx, sale);
        return { started: true as const };
      });
    },

    /**
     * PENDING → COMPLETED with the item's name and price at purchase time (from the reservation), its
     * sale.completed event, and the 201 answer stored under the key, in one transaction. Undefined if no
     * longer pending (then there is no event either).
     */
    async complete(id: string, price: Price, keyed: boolean, answer: (sale: Sale) => StoredAnswer): Promise<Sale | undefined> {
      const end = async (q: Queryable) => {
        const [row] = await q.query<SaleRow>(COMPLETE, id, price.itemName, price.unitPriceCents, price.totalCents);
        if (!row) return undefined;
        const sale = toSale(row);
        await events.record(q, 'sale.completed', sale);
        if (keyed) await keyOutcome(q, id, answer(sale));
        return sale;
      };
      return db.sql.transaction(end);
    },

    /**
     * PENDING → FAILED (with the price when the stock was reserved); stores `answer` under the key when it is
     * final, else releases the key. Without a key it is one statement. False when the sale was no longer
     * pending (the recovery sweep got there first).
     */
    async fail(id: string, reason: string, keyed: boolean, answer?: StoredAnswer, price?: Price): Promise<boolean> {
      const end = async (q: Queryable) => {
        const changed = await q.execute(
          `UPDATE sales SET status = 'FAILED', failure_reason = $2, updated_at = now(),
             item_name = coalesce($3, item_name), unit_price_cents = coalesce($4, unit_price_cents), total_cents = coalesce($5, total_cents)
           WHERE id = $1::uuid AND status = 'PENDING'`,
          id,
          reason,
          price?.itemName ?? null,
          price?.unitPriceCents ?? null,
          price?.totalCents ?? null,
        );
        if (keyed) await keyOutcome(q, id, answer);
        return changed === 1;
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

    async listCompleted(filter: { customerId?: string; username?: string }, page: { limit: number; offset: number }) {
      const where = {
        status: 'COMPLETED' as const,
        ...(filter.customerId && { customerId: filter.customerId }),
        ...(filter.username && { usernameKey: filter.username.toLowerCase() }),
      };
      const [rows, total] = await Promise.all([
        db.prisma.sale.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: page.limit, skip: page.offset }),
        db.prisma.sale.count({ where }),
      ]);
      return { total, data: rows.map(fromModel) };
    },

    async findCompleted(id: string): Promise<Sale | undefined> {
      const row = await db.prisma.sale.findFirst({ where: { id, status: 'COMPLETED' } });
      return row ? fromModel(row) : undefined;
    },

    async hasPurchased(customerId: string, itemId?: string): Promise<boolean> {
      return (await db.prisma.sale.findFirst({ where: { customerId, ...(itemId && { itemId }), status: 'COMPLETED' }, select: { id: true } })) !== null;
    },
  };
}
export type SalesRepo = ReturnType<typeof salesRepo>;

function fromModel(row: {
  id: string;
  customerId: string;
  username: string;
  itemId: string;
  itemName: string | null;
  unitPriceCents: bigint | null;
  quantity: number;
  totalCents: bigint | null;
  createdAt: Date;
}): Sale {
  return toSale({
    id: row.id,
    customer_id: row.customerId,
    username: row.username,
    item_id: row.itemId,
    item_name: row.itemName,
    unit_price_cents: row.unitPriceCents,
    quantity: row.quantity,
    total_cents: row.totalCents,
    created_at: row.createdAt,
  });
}
