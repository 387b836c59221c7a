import { pruneRule, type PruneRule } from '@shop/kit';
import type { Db } from './db';

/**
 * Inventory's own retention: a stock reservation (its lines go with it, ON DELETE CASCADE) once sales can no
 * longer take, release or ask about it. The stock movements keep what happened to the stock.
 */
export const reservationPruneRules = (db: Db, keepHours: number): PruneRule[] => [
  pruneRule(db.background, {
    table: 'stock_reservations',
    where: 'updated_at < now() - make_interval(hours => $2::int)',
    orderBy: 'updated_at',
    params: [keepHours],
  }),
];
