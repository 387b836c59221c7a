import type { Queryable } from '@shop/kit';
import type { IdempotencyClaim, StoredAnswer, StoredKey } from '../domain/model';

/**
 * Idempotency-Keys, per customer: claimed in the transaction that records a purchase (sale_id) or a refund
 * (refund_id), and answered or released in the transaction that ends it. A key can therefore never say "done"
 * for work that did not end, nor stay in flight for work that did.
 */

/** Claims the key, taking over an expired one; RETURNING 1 when claimed ($4 sale id or $5 refund id, the other NULL). */
export const CLAIM_KEY = `INSERT INTO idempotency_keys (customer_id, key, request_hash, state, sale_id, refund_id, expires_at)
  VALUES ($1::uuid, $2, $3, 'in_flight', $4::uuid, $5::uuid, now() + make_interval(secs => $6::double precision))
  ON CONFLICT (customer_id, key) DO UPDATE
    SET request_hash = EXCLUDED.request_hash, state = 'in_flight', sale_id = EXCLUDED.sale_id, refund_id = EXCLUDED.refund_id,
        response_status = NULL, response_body = NULL, created_at = now(), expires_at = EXCLUDED.expires_at
    WHERE idempotency_keys.expires_at <= now()
  RETURNING 1`;

/** The final answer ($2 status, $3 JSON) under the key the sale or refund ($1) holds in flight. */
export const STORE_ANSWER = {
  sale: `UPDATE idempotency_keys SET state = 'done', response_status = $2, response_body = $3 WHERE sale_id = $1::uuid AND state = 'in_flight'`,
  refund: `UPDATE idempotency_keys SET state = 'done', response_status = $2, response_body = $3 WHERE refund_id = $1::uuid AND state = 'in_flight'`,
};

/**
 * Claims an Idempotency-Key for a purchase (saleId) or a refund (refundId). Undefined when claimed; else what
 * the earlier request left (nothing is written).
 */
export async function claimKey(tx: Queryable, claim: IdempotencyClaim, owner: { saleId?: string; refundId?: string }): Promise<StoredKey | undefined> {
  const claimed = await tx.query<unknown>(
    CLAIM_KEY,
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

/** Stores the final answer under the sale's key, or (no answer) releases the key so the client may retry. */
export async function settleSaleKey(q: Queryable, saleId: string, answer: StoredAnswer | undefined): Promise<void> {
  if (answer) await q.execute(STORE_ANSWER.sale, saleId, answer.status, JSON.stringify(answer.body));
  else await q.execute(`DELETE FROM idempotency_keys WHERE sale_id = $1::uuid AND state = 'in_flight'`, saleId);
}

/** A refusal is final: stored under the key, which no longer names the refund (it was never recorded). */
export async function refuseWithKey(q: Queryable, claim: IdempotencyClaim, answer: StoredAnswer): Promise<void> {
  await q.execute(
    `UPDATE idempotency_keys SET state = 'done', refund_id = NULL, response_status = $3, response_body = $4
     WHERE customer_id = $1::uuid AND key = $2`,
    claim.customerId,
    claim.key,
    answer.status,
    JSON.stringify(answer.body),
  );
}
