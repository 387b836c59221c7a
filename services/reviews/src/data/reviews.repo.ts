import { bySeq, keysetPage, prepared, type EventRecorder, type Listed, type ListOptions } from '@shop/kit';
import {
  toReview,
  type Page,
  type PurchaseCheck,
  type RatingSummary,
  type ReviewRecord,
  type ReviewsRepo,
  type ReviewStatus,
  type ModerationDecision,
} from '../domain/model';
import type { Db } from './db';
import { reportsRepo } from './reports.repo';

export const REVIEW_EVENT_TYPES = ['review.approved', 'review.rejected'] as const;
export type Events = EventRecorder<(typeof REVIEW_EVENT_TYPES)[number]>;

interface Row {
  id: string;
  item_id: string;
  customer_id: string;
  username: string;
  rating: number;
  comment: string;
  status: ReviewStatus;
  verified_purchase: boolean;
  purchase_checked: boolean;
  report_count: number;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, item_id, customer_id, username, rating::int, comment, status, verified_purchase, purchase_checked, report_count, created_at, updated_at';
const RETURNING = `RETURNING ${COLUMNS}`;

function toRecord(row: Row): ReviewRecord {
  return {
    id: row.id,
    itemId: row.item_id,
    username: row.username,
    rating: Number(row.rating),
    comment: row.comment,
    status: row.status,
    verifiedPurchase: row.verified_purchase,
    reportCount: Number(row.report_count),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    customerId: row.customer_id,
    purchaseChecked: row.purchase_checked,
  };
}

const key = (username: string) => username.toLowerCase();

/**
 * An item's rating summary over its approved reviews (see itemPage): the item's row of review_summaries, read by
 * primary key (kept by triggers in every writing transaction); no row means no approved review.
 */
export const ITEM_SUMMARY = prepared(
  'reviews.item-summary',
  `SELECT coalesce(max(count), 0)::int AS n,
          round(max(rating_sum)::numeric / nullif(max(count), 0), 2)::float8 AS average,
          coalesce(max(r1), 0)::int AS r1, coalesce(max(r2), 0)::int AS r2, coalesce(max(r3), 0)::int AS r3,
          coalesce(max(r4), 0)::int AS r4, coalesce(max(r5), 0)::int AS r5
   FROM review_summaries WHERE item_id = $1::uuid`,
);

/** The version of an item's review page, maintained by a trigger on reviews (migration 20261207000000). */
const ITEM_VERSION = prepared('reviews.item-version', 'SELECT version::text FROM item_review_versions WHERE item_id = $1::uuid');

/** Newest first: seq is unique, so it is the whole sort key. */
const NEWEST_FIRST = { keys: bySeq(), descending: true };

export function reviewsRepo(db: Db, events: Events, lists: ListOptions): ReviewsRepo {
  const one = async (sql: string, ...params: unknown[]) => {
    const rows = await db.sql.query<Row>(sql, ...params);
    return rows[0] ? toRecord(rows[0]) : undefined;
  };
  const many = async (sql: string, ...params: unknown[]) => (await db.sql.query<Row>(sql, ...params)).map(toRecord);

  return {
    /** undefined when this customer already reviewed this item (the unique index decides, also under races). */
    create(input: { itemId: string; customerId: string; username: string; rating: number; comment: string; purchase: PurchaseCheck }) {
      return one(
        `INSERT INTO reviews (id, item_id, customer_id, username, username_key, rating, comment, verified_purchase, purchase_checked)
         VALUES (gen_random_uuid(), $1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (customer_id, item_id) DO NOTHING ${RETURNING}`,
        input.itemId,
        input.customerId,
        input.username,
        key(input.username),
        input.rating,
        input.comment,
        input.purchase.verified,
        input.purchase.checked,
      );
    },

    find: (id: string) => one(`SELECT ${COLUMNS} FROM reviews WHERE id = $1::uuid`, id),

    /** The author's edit: new content goes back to moderation (and to the end of the queue). */
    edit(id: string, changes: { rating?: number; comment?: string }, purchase: PurchaseCheck | undefined) {
      return one(
        `UPDATE reviews SET rating = coalesce($2, rating), comment = coalesce($3, comment),
           verified_purchase = coalesce($4, verified_purchase), purchase_checked = coalesce($5, purchase_checked),
           status = 'pending', held_by_reports = false, status_changed_at = now(), updated_at = now()
         WHERE id = $1::uuid ${RETURNING}`,
        id,
        changes.rating ?? null,
        changes.comment ?? null,
        purchase?.verified ?? null,
        purchase?.checked ?? null,
      );
    },

    async remove(id: string): Promise<boolean> {
      return (await db.sql.execute('DELETE FROM reviews WHERE id = $1::uuid', id)) > 0;
    },

    /**
     * A moderation decision, its history row and its event (review.approved or review.rejected) in one
     * transaction. The decision closes the open reports (the moderator has seen them, and a later recount leaves
     * the decision alone); the status clock
     * restarts only when the status changes.
     */
    moderate(id: string, decision: ModerationDecision, purchase: PurchaseCheck | undefined) {
      const status: ReviewStatus = decision.action === 'approve' ? 'approved' : 'rejected';
      return db.sql.transaction(async (tx) => {
        const rows = await tx.query<Row>(
          `UPDATE reviews SET
             status_changed_at = CASE WHEN status = $2::"ReviewStatus" THEN status_changed_at ELSE now() END,
             status = $2::"ReviewStatus", open_reports = 0, held_by_reports = false,
             verified_purchase = coalesce($3, verified_purchase), purchase_checked = coalesce($4, purchase_checked),
             updated_at = now()
           WHERE id = $1::uuid ${RETURNING}`,
          id,
          status,
          purchase?.verified ?? null,
          purchase?.checked ?? null,
        );
        if (!rows[0]) return undefined;
        // The review's row is locked first (above), then its reports: a recount takes them in the same order.
        await tx.execute('UPDATE review_reports SET open = false WHERE review_id = $1::uuid AND open', id);
        await tx.execute(
          `INSERT INTO review_moderations (id, review_id, action, note, moderator_id, moderator_username)
           VALUES (gen_random_uuid(), $1::uuid, $2::"ModerationAction", $3, $4::uuid, $5)`,
          id,
          decision.action,
          decision.note,
          decision.moderatorId,
          decision.moderatorUsername,
        );
        const record = toRecord(rows[0]);
        await events.record(tx, status === 'approved' ? 'review.approved' : 'review.rejected', toReview(record));
        return record;
      });
    },

    ...reportsRepo(db, lists),

    /**
     * An item's approved reviews, newest first (the partial index on approved rows (item_id, seq DESC)), with
     * their summary. The version (for the page's ETag) is the item's row of item_review_versions, bumped by a trigger
     * on every write touching an approved review of it (read first: a write after it changes the next version).
     */
    async itemPage(itemId: string, page: Page): Promise<{ data: ReviewRecord[]; summary: RatingSummary; version: string } & Listed> {
      const [v] = await db.sql.query<{ version: string }>(ITEM_VERSION, itemId);
      const version = `${itemId}.${v?.version ?? '0'}`;
      const [s] = await db.sql.query<{ n: number; average: number | null; r1: number; r2: number; r3: number; r4: number; r5: number }>(ITEM_SUMMARY, itemId);
      const { rows, listed } = await keysetPage<Row>(
        db.sql,
        {
          binding: ['item-reviews', itemId],
          select: COLUMNS,
          from: 'reviews',
          where: ["item_id = $1::uuid AND status = 'approved'"],
          params: [itemId],
          ...NEWEST_FIRST,
          // The summary row counts the approved reviews, in the writing transactions: no count on read.
          knownTotal: s!.n,
        },
        page,
        lists,
      );
      return {
        ...listed,
        data: rows.map(toRecord),
        summary: {
          count: s!.n,
          average: s!.average === null ? null : Number(s!.average),
          distribution: { '1': s!.r1, '2': s!.r2, '3': s!.r3, '4': s!.r4, '5': s!.r5 },
        },
        version,
      };
    },

    /** Reviews written under a username (`approvedOnly` for strangers), or by one customer id (the author's own view). */
    async byAuthor(author: { username: string } | { customerId: string }, approvedOnly: boolean, page: Page) {
      const [column, value] = 'customerId' in author ? ['customer_id = $1::uuid', author.customerId] : ['username_key = $1', key(author.username)];
      const where = [column, ...(approvedOnly ? ["status = 'approved'"] : [])];
      const { rows, listed } = await keysetPage<Row>(
        db.sql,
        { binding: ['author-reviews', author, approvedOnly], select: COLUMNS, from: 'reviews', where, params: [value], ...NEWEST_FIRST },
        page,
        lists,
      );
      return { ...listed, data: rows.map(toRecord) };
    },

    /** The moderation queue: longest in its status first. */
    async byStatus(status: ReviewStatus, page: Page) {
      const { rows, listed } = await keysetPage<Row>(
        db.sql,
        {
          binding: ['review-queue', status],
          select: COLUMNS,
          from: 'reviews',
          where: ['status = $1::"ReviewStatus"'],
          params: [status],
          keys: [
            { expr: 'status_changed_at', type: 'timestamptz' },
            { expr: 'seq', type: 'bigint' },
          ],
          descending: false,
        },
        page,
        lists,
      );
      return { ...listed, data: rows.map(toRecord) };
    },

    /** Reviews written while sales could not be asked, oldest first. */
    uncheckedPurchases: (limit: number) => many(`SELECT ${COLUMNS} FROM reviews WHERE NOT purchase_checked ORDER BY seq LIMIT $1`, limit),

    async recordPurchase(id: string, verified: boolean): Promise<void> {
      await db.sql.execute(
        `UPDATE reviews SET verified_purchase = $2, purchase_checked = true,
           updated_at = CASE WHEN verified_purchase = $2 THEN updated_at ELSE now() END
         WHERE id = $1::uuid`,
        id,
        verified,
      );
    },
  };
}
