import { byTimeAndId, keysetPage, type ListOptions, type PageQuery, type Queryable } from '@shop/kit';
import {
  publicRefund,
  type IdempotencyClaim,
  type RefundDecision,
  type RefundLine,
  type RefundsRepo,
  type RefundToDo,
  type SaleToRefund,
  type StoredKey,
} from '../domain/model';
import type { Db } from './db';
import { claimKey, refuseWithKey, STORE_ANSWER } from './idempotency-keys.repo';
import type { Events } from './sales.repo';
import { limitSweep } from './sweep.repo';

interface RefundRow {
  id: string;
  sale_id: string;
  customer_id: string;
  amount_cents: string | number;
  reason: string | null;
  restock: boolean;
  created_at: Date;
  lines: RefundLine[];
}

const REFUND_SELECT = `r.id, r.sale_id, r.customer_id, r.amount_cents, r.reason, r.restock, r.created_at,
  (SELECT json_agg(json_build_object('itemId', l.item_id, 'quantity', l.quantity, 'amountCents', l.amount_cents) ORDER BY l.position)
   FROM refund_lines l WHERE l.refund_id = r.id) AS lines`;

const toRefund = (row: RefundRow): RefundToDo => ({
  id: row.id,
  saleId: row.sale_id,
  lines: row.lines.map((line) => ({ itemId: line.itemId, quantity: line.quantity, amountCents: Number(line.amountCents) })),
  amountCents: Number(row.amount_cents),
  reason: row.reason,
  restocked: row.restock,
  createdAt: row.created_at.toISOString(),
  customerId: row.customer_id,
});

/** Locks the completed sale a refund is recorded against: concurrent refunds of one sale queue here. */
export const LOCK_SALE = `SELECT id, customer_id, created_at FROM sales WHERE id = $1::uuid AND status = 'COMPLETED' FOR UPDATE`;
/** The sale's lines and what every recorded refund (pending or completed) has taken of each. */
export const LINES_LEFT = `SELECT sl.item_id, sl.quantity, sl.unit_price_cents,
    (SELECT coalesce(sum(rl.quantity), 0)::int FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id
     WHERE r.sale_id = sl.sale_id AND rl.item_id = sl.item_id) AS recorded
  FROM sale_lines sl WHERE sl.sale_id = $1::uuid ORDER BY sl.position`;
/** The refund PENDING and its lines ($7 item ids, $8 quantities, $9 amounts), answering the RefundRow ($10 the lines as JSON). */
export const INSERT_REFUND = `WITH r AS (
    INSERT INTO refunds (id, sale_id, customer_id, amount_cents, reason, restock)
    VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6) RETURNING *
  ), l AS (
    INSERT INTO refund_lines (refund_id, position, item_id, quantity, amount_cents)
    SELECT $1::uuid, t.ord - 1, t.item_id, t.quantity, t.amount FROM unnest($7::uuid[], $8::int[], $9::bigint[]) WITH ORDINALITY t(item_id, quantity, amount, ord)
  )
  SELECT r.id, r.sale_id, r.customer_id, r.amount_cents, r.reason, r.restock, r.created_at, $10::json AS lines FROM r`;
/** PENDING → COMPLETED, added to the sale's refunded_cents and its lines' refunded_quantity; `changed` is 0 when it was done already. */
export const COMPLETE_REFUND = `WITH r AS (
    UPDATE refunds SET status = 'COMPLETED', updated_at = now(), recovery_count = recovery_count + $2::int
    WHERE id = $1::uuid AND status = 'PENDING' RETURNING id, sale_id, amount_cents
  ), l AS (
    UPDATE sale_lines sl SET refunded_quantity = sl.refunded_quantity + rl.quantity
    FROM refund_lines rl, r WHERE rl.refund_id = r.id AND sl.sale_id = r.sale_id AND sl.item_id = rl.item_id
    RETURNING 1
  ), s AS (
    UPDATE sales SET refunded_cents = sales.refunded_cents + r.amount_cents, updated_at = now()
    FROM r WHERE sales.id = r.sale_id RETURNING 1
  )
  SELECT count(*)::int AS changed FROM r`;

/**
 * PENDING → COMPLETED, adding the refund to its sale's refunded_cents and its lines' refunded_quantity, recording
 * its refund.completed event and storing the 201 answer under its key: all in the caller's transaction, and only
 * once (WHERE status = PENDING; a refund completed already has its event).
 */
async function complete(tx: Queryable, events: Events, refund: RefundToDo, extra: { recovered: boolean }): Promise<boolean> {
  const [row] = await tx.query<{ changed: number }>(COMPLETE_REFUND, refund.id, extra.recovered ? 1 : 0);
  await tx.execute(STORE_ANSWER.refund, refund.id, 201, JSON.stringify(publicRefund(refund)));
  if (row!.changed !== 1) return false;
  await events.record(tx, 'refund.completed', publicRefund(refund));
  return true;
}

/**
 * Refunds and their idempotency keys. A refund is recorded under a lock on its sale (SELECT … FOR UPDATE), so
 * concurrent refunds of one sale are checked one after the other against everything already recorded.
 */
export function refundsRepo(db: Db, events: Events, lists: ListOptions): RefundsRepo {
  return {
    /**
     * In one transaction: claims the key (if any), locks the completed sale, lets `decide` (pure) pick the
     * lines or a refusal, and records the refund PENDING (key in flight) or stores the refusal under the key.
     */
    async record(
      input: { id: string; saleId: string; reason: string | null; restock: boolean; claim?: IdempotencyClaim },
      decide: (sale: SaleToRefund | undefined) => RefundDecision,
    ): Promise<{ kind: 'existing'; existing: StoredKey } | { kind: 'refused' } | { kind: 'recorded'; refund: RefundToDo }> {
      return db.sql.transaction(async (tx) => {
        if (input.claim) {
          const existing = await claimKey(tx, input.claim, { refundId: input.id });
          if (existing) return { kind: 'existing' as const, existing };
        }
        const [sale] = await tx.query<{ id: string; customer_id: string; created_at: Date }>(LOCK_SALE, input.saleId);
        const lines = sale ? await tx.query<{ item_id: string; quantity: number; unit_price_cents: string; recorded: number }>(LINES_LEFT, input.saleId) : [];
        const decision = decide(
          sale && {
            id: sale.id,
            customerId: sale.customer_id,
            createdAt: sale.created_at,
            lines: lines.map((line) => ({
              itemId: line.item_id,
              quantity: line.quantity,
              unitPriceCents: Number(line.unit_price_cents),
              left: line.quantity - line.recorded,
            })),
          },
        );
        if ('refusal' in decision) {
          if (input.claim) await refuseWithKey(tx, input.claim, decision.refusal);
          return { kind: 'refused' as const };
        }
        const amountCents = decision.lines.reduce((sum, line) => sum + line.amountCents, 0);
        const [row] = await tx.query<RefundRow>(
          INSERT_REFUND,
          input.id,
          input.saleId,
          sale!.customer_id,
          amountCents,
          input.reason,
          input.restock,
          decision.lines.map((line) => line.itemId),
          decision.lines.map((line) => line.quantity),
          decision.lines.map((line) => line.amountCents),
          JSON.stringify(decision.lines),
        );
        return { kind: 'recorded' as const, refund: toRefund(row!) };
      });
    },

    /** Completes a refund whose steps are done (see `complete`); false when it was already completed. */
    complete: (refund: RefundToDo) => db.sql.transaction((tx) => complete(tx, events, refund, { recovered: false })),

    /**
     * Claims the oldest pending refund older than `ageMs` (FOR UPDATE SKIP LOCKED: two replicas never take the
     * same one), keeps it locked while `drive` runs its steps, and completes it in the same transaction when
     * `drive` says they are done. Undefined when there is nothing to claim.
     */
    async settlePending(
      options: { ageMs: number; exclude: string[]; lockTimeoutMs: number; statementTimeoutMs: number },
      drive: (refund: RefundToDo) => Promise<boolean>,
    ): Promise<{ id: string; completed: boolean } | undefined> {
      return db.sql.transaction(async (tx) => {
        // As the purchase sweep: PostgreSQL drops the lock if this instance stalls; background work may wait longer.
        await limitSweep(tx, options);
        const [row] = await tx.query<RefundRow>(
          `SELECT ${REFUND_SELECT} FROM refunds r
           WHERE r.status = 'PENDING' AND r.created_at < now() - make_interval(secs => $1::double precision) AND NOT (r.id = ANY($2::uuid[]))
           ORDER BY r.created_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
          options.ageMs / 1000,
          options.exclude,
        );
        if (!row) return undefined;
        const refund = toRefund(row);
        const done = await drive(refund);
        // Completed only when this transaction changed its state (it holds the row, so it always does; counted once).
        return { id: refund.id, completed: done && (await complete(tx, events, refund, { recovered: true })) };
      });
    },

    /** A sale's refunds (pending ones too: each is promised), oldest first. */
    async listForSale(saleId: string, page: PageQuery) {
      const { rows, listed } = await keysetPage<RefundRow>(
        db.sql,
        {
          binding: ['refunds', saleId],
          select: REFUND_SELECT,
          from: 'refunds r',
          where: ['r.sale_id = $1::uuid'],
          params: [saleId],
          keys: byTimeAndId('r.created_at', 'r.id'),
          descending: false,
        },
        page,
        lists,
      );
      return { ...listed, data: rows.map((row) => publicRefund(toRefund(row))) };
    },
  };
}
