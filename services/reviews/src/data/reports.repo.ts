import { bySeq, keysetPage, type ListOptions, type Queryable } from '@shop/kit';
import type { Page, ReportResult, ReporterStanding, ReviewsRepo } from '../domain/model';
import type { Db } from './db';

/** Reports of reviews: each customer's once per review, counted on the review in the same transaction. */
export function reportsRepo(db: Db, lists: ListOptions): Pick<ReviewsRepo, 'report' | 'reports'> {
  return {
    /**
     * The report row and the counters in one transaction. The UPDATE is one statement on the locked row, so
     * concurrent reports count exactly; the threshold compares the open reports that count (filed since the last
     * moderation decision, by a reporter in good standing), and every report counts in report_count. A review
     * that reports send back to pending is marked held by reports, so that a recount can give it back.
     */
    report(reviewId: string, reporter: { id: string; username: string } & ReporterStanding, reason: string, threshold: number): Promise<ReportResult> {
      const counts = reporter.spendOk && reporter.accountOldEnough;
      return db.sql.transaction(async (tx) => {
        const inserted = await tx.query<{ id: string; created_at: Date }>(
          `INSERT INTO review_reports (id, review_id, reporter_id, reporter, reason, spend_ok, account_old_enough)
           SELECT gen_random_uuid(), r.id, $2::uuid, $3, $4, $5, $6 FROM reviews r WHERE r.id = $1::uuid
           ON CONFLICT (review_id, reporter_id) DO NOTHING
           RETURNING id, created_at`,
          reviewId,
          reporter.id,
          reporter.username,
          reason,
          reporter.spendOk,
          reporter.accountOldEnough,
        );
        if (!inserted[0]) {
          const exists = await tx.query<unknown>('SELECT 1 FROM reviews WHERE id = $1::uuid', reviewId);
          return exists.length ? { outcome: 'already_reported' } : { outcome: 'no_review' };
        }
        await tx.execute(
          `UPDATE reviews SET report_count = report_count + 1, open_reports = open_reports + $3, updated_at = now(),
             status_changed_at = CASE WHEN status = 'approved' AND open_reports + $3 >= $2 THEN now() ELSE status_changed_at END,
             held_by_reports = held_by_reports OR (status = 'approved' AND open_reports + $3 >= $2),
             status = CASE WHEN status = 'approved' AND open_reports + $3 >= $2 THEN 'pending'::"ReviewStatus" ELSE status END
           WHERE id = $1::uuid`,
          reviewId,
          threshold,
          counts ? 1 : 0,
        );
        const report = { id: inserted[0].id, reviewId, reason, createdAt: inserted[0].created_at.toISOString() };
        return { outcome: 'reported', report };
      });
    },

    async reports(reviewId: string, page: Page) {
      const { rows, listed } = await keysetPage<{ id: string; reporter: string; reason: string; counts: boolean; created_at: Date }>(
        db.sql,
        {
          binding: ['review-reports', reviewId],
          select: 'id, reporter, reason, spend_ok AND account_old_enough AS counts, created_at',
          from: 'review_reports',
          where: ['review_id = $1::uuid'],
          params: [reviewId],
          keys: bySeq(),
          descending: false,
        },
        page,
        lists,
      );
      return {
        ...listed,
        data: rows.map((row) => ({
          id: row.id,
          reviewId,
          username: row.reporter,
          reason: row.reason,
          counts: row.counts,
          createdAt: row.created_at.toISOString(),
        })),
      };
    },
  };
}

/**
 * A reporter's standing changed (a refund moved their net spend): their reports follow, and so does every review
 * they reported. The reviews are locked first, in id order, as moderation locks a review before its reports, so
 * the two never deadlock. Each review's open_reports is counted again from its rows; an approved one at the
 * threshold goes back to pending (held by reports), and one that reports alone held returns to approved below it.
 * A moderator's decision (approved, rejected, or pending after an edit) is never undone. The number of reviews
 * whose status changed.
 */
export async function recountReporter(tx: Queryable, reporterId: string, spendOk: boolean, threshold: number): Promise<number> {
  const affected = await tx.query<{ id: string }>(
    `SELECT r.id FROM reviews r WHERE r.id IN (SELECT review_id FROM review_reports WHERE reporter_id = $1::uuid AND spend_ok <> $2)
     ORDER BY r.id FOR UPDATE OF r`,
    reporterId,
    spendOk,
  );
  if (!affected.length) return 0;
  const ids = affected.map((row) => row.id);
  await tx.execute('UPDATE review_reports SET spend_ok = $2 WHERE reporter_id = $1::uuid AND review_id = ANY($3::uuid[])', reporterId, spendOk, ids);
  return tx.execute(
    `WITH counted AS (
       SELECT review_id, (count(*) FILTER (WHERE open AND spend_ok AND account_old_enough))::int AS n
       FROM review_reports WHERE review_id = ANY($1::uuid[]) GROUP BY review_id
     ), next AS (
       SELECT r.id, c.n, r.status AS was,
         CASE WHEN r.status = 'approved' AND c.n >= $2 THEN 'pending'::"ReviewStatus"
              WHEN r.status = 'pending' AND r.held_by_reports AND c.n < $2 THEN 'approved'::"ReviewStatus"
              ELSE r.status END AS status
       FROM reviews r JOIN counted c ON c.review_id = r.id
     ), updated AS (
       UPDATE reviews r SET open_reports = next.n, status = next.status,
         held_by_reports = (next.status = 'pending' AND (r.held_by_reports OR r.status = 'approved')),
         status_changed_at = CASE WHEN next.status <> next.was THEN now() ELSE r.status_changed_at END,
         updated_at = CASE WHEN next.status <> next.was THEN now() ELSE r.updated_at END
       FROM next WHERE r.id = next.id
       RETURNING next.status <> next.was AS changed
     )
     SELECT 1 FROM updated WHERE changed`,
    ids,
    threshold,
  );
}
