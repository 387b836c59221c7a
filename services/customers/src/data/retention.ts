import { pruneRule, type PruneRule } from '@shop/kit';
import type { Db } from './db';

/**
 * Customers' own retention, each by the index on its age column: rate-limit counters whose window has ended;
 * ended sessions once their access tokens have all expired (`keepEndedSeconds`); expired sessions (their refresh
 * tokens go with them, ON DELETE CASCADE; the trigger that records an end skips an expired one); and rotated
 * refresh tokens once they could no longer have been live unrotated. While its session lives, a rotated token is
 * kept for that long, so that presenting it again (a copy) still ends the session. A voided reference (a refund
 * that found no debit) goes once sales can no longer debit that sale.
 */
export const customersPruneRules = (db: Db, keep: { endedSessionSeconds: number; refreshTokenDays: number; voidedReferenceHours: number }): PruneRule[] => [
  pruneRule(db.background, { table: 'rate_limit_hits', where: 'reset_at <= now()', orderBy: 'reset_at' }),
  pruneRule(db.background, {
    table: 'ended_sessions',
    where: 'ended_at < now() - make_interval(secs => $2)',
    orderBy: 'ended_at',
    params: [keep.endedSessionSeconds],
  }),
  pruneRule(db.background, { table: 'sessions', where: 'expires_at <= now()', orderBy: 'expires_at' }),
  pruneRule(db.background, {
    table: 'refresh_tokens',
    where: 'rotated_at < now() - make_interval(days => $2::int)',
    orderBy: 'rotated_at',
    params: [keep.refreshTokenDays],
  }),
  // A void tombstone once no debit of its sale can arrive any more (VOIDED_REFERENCE_RETENTION_HOURS).
  pruneRule(db.background, {
    table: 'voided_references',
    where: 'created_at < now() - make_interval(hours => $2::int)',
    orderBy: 'created_at',
    params: [keep.voidedReferenceHours],
  }),
];
