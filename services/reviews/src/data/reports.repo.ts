import type { Page, ReportResult, ReviewsRepo } from '../domain/model';
import type { Db } from './db';

/** Reports of reviews: each customer's once per review, counted on the review in the same transaction. */
export function reportsRepo(db: Db): Pick<ReviewsRepo, 'report' | 'reports'> {
  return {
    /**
     * The report row and the counters in one transaction. The UPDATE is one statement on the locked row, so
     * concurrent reports count exactly; the threshold compares reports since the last moderation decision,
     * and only a buyer's report counts toward it (every report counts in report_count).
     */
    report(reviewId: string, reporter: { id: string; username: string; buyer: boolean }, reason: string, threshold: number): Promise<ReportResult> {
      return db.sql.transaction(async (tx) => {
        const inserted = await tx.query<{ id: string; created_at: Date }>(
          `INSERT INTO review_reports (id, review_id, reporter_id, reporter, reason, from_buyer)
           SELECT gen_random_uuid(), r.id, $2::uuid, $3, $4, $5 FROM reviews r WHERE r.id = $1::uuid
           ON CONFLICT (review_id, reporter_id) DO NOTHING
           RETURNING id, created_at`,
          reviewId,
          reporter.id,
          reporter.username,
          reason,
          reporter.buyer,
        );
        if (!inserted[0]) {
          const exists = await tx.query<unknown>('SELECT 1 FROM reviews WHERE id = $1::uuid', reviewId);
          return exists.length ? { outcome: 'already_reported' } : { outcome: 'no_review' };
        }
        await tx.execute(
          `UPDATE reviews SET report_count = report_count + 1, open_reports = open_reports + $3, updated_at = now(),
             status_changed_at = CASE WHEN status = 'approved' AND open_reports + $3 >= $2 THEN now() ELSE status_changed_at END,
             status = CASE WHEN status = 'approved' AND open_reports + $3 >= $2 THEN 'pending'::"ReviewStatus" ELSE status END
           WHERE id = $1::uuid`,
          reviewId,
          threshold,
          reporter.buyer ? 1 : 0,
        );
        const report = { id: inserted[0].id, reviewId, reason, createdAt: inserted[0].created_at.toISOString() };
        return { outcome: 'reported', report };
      });
    },

    async reports(reviewId: string, page: Page) {
      const rows = await db.sql.query<{ id: string; reporter: string; reason: string; from_buyer: boolean; created_at: Date }>(
        `SELECT id, reporter, reason, from_buyer, created_at FROM review_reports WHERE review_id = $1::uuid
         ORDER BY seq LIMIT $2 OFFSET $3`,
        reviewId,
        page.limit,
        page.offset,
      );
      const [{ n: total } = { n: 0 }] = await db.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM review_reports WHERE review_id = $1::uuid', reviewId);
      return {
        total,
        data: rows.map((row) => ({
          id: row.id,
          reviewId,
          username: row.reporter,
          reason: row.reason,
          counts: row.from_buyer,
          createdAt: row.created_at.toISOString(),
        })),
      };
    },
  };
}
