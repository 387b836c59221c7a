import { pruneRule, type PruneRule } from '@shop/kit';
import type { Db } from './db';

/**
 * Sales' own retention: Idempotency-Keys whose answer has been kept for its TTL (by the partial expiry index of
 * finished keys; a key still in flight belongs to a purchase the recovery sweep settles), and the purchase
 * limit's counters of windows that have ended.
 */
export const salesPruneRules = (db: Db): PruneRule[] => [
  pruneRule(db.background, { table: 'idempotency_keys', where: `state = 'done' AND expires_at < now()`, orderBy: 'expires_at' }),
  pruneRule(db.background, { table: 'purchase_attempts', where: `window_start < date_trunc('minute', now())`, orderBy: 'window_start' }),
];
