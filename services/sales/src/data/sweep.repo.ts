import type { Queryable } from '@shop/kit';
import type { AbandonedSalesRepo, PendingSale, SweepLimits } from '../domain/model';
import type { Db } from './db';
import { settleSaleKey } from './idempotency-keys.repo';

/**
 * The limits of a sweep's claim, for the rest of its transaction. The claim holds a row lock: if this instance
 * stalls, PostgreSQL ends the session after lockTimeoutMs of silence, which drops the lock and lets another
 * replica's sweep take the row. Background work, so it may wait longer than a request would.
 */
export async function limitSweep(tx: Queryable, limits: Pick<SweepLimits, 'lockTimeoutMs' | 'statementTimeoutMs'>): Promise<void> {
  await tx.execute(
    `SELECT set_config('idle_in_transaction_session_timeout', $1, true), set_config('statement_timeout', $2, true), set_config('lock_timeout', $2, true)`,
    String(limits.lockTimeoutMs),
    String(limits.statementTimeoutMs),
  );
}

/** The recovery sweep's claim on sales a dead process left PENDING. */
export function abandonedSalesRepo(db: Db): AbandonedSalesRepo {
  return {
    /**
     * Claims the oldest pending sale older than `ageMs` (skipping `exclude` and rows another replica holds:
     * FOR UPDATE SKIP LOCKED), keeps it locked while `settle` undoes its steps, then marks it FAILED and
     * releases its key in the same transaction. If `settle` throws, nothing changes and the lock is dropped.
     * Undefined when there is nothing to claim.
     */
    async settleAbandoned(options, settle) {
      let claimed: PendingSale | undefined;
      try {
        return await db.sql.transaction(async (tx) => {
          await limitSweep(tx, options);
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
          await settleSaleKey(tx, row.id, undefined);
          return { id: row.id, settled: true as const };
        });
      } catch (error) {
        if (!claimed) throw error;
        return { id: claimed.id, settled: false, error };
      }
    },
  };
}
